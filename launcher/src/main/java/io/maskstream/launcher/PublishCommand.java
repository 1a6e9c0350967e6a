package io.maskstream.launcher;

import io.maskstream.schemas.cli.KafkaOptions;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code maskstream publish}: puts a model in the model store and announces it. */
@Command(
    name = "publish",
    mixinStandardHelpOptions = true,
    description = "Puts a model in the model store and announces it; running detectors swap to it.")
final class PublishCommand implements Callable<Integer> {
  @Option(names = "--model", paramLabel = "FILE.onnx", required = true, description = "The model.")
  Path model;

  @Mixin KafkaOptions kafka;

  @Override
  public Integer call() {
    return Unavailable.command("publish", "detector");
  }
}
