package io.maskstream.launcher;

import io.maskstream.schemas.cli.KafkaOptions;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code maskstream detect}: the Kafka Streams detector. */
@Command(
    name = "detect",
    mixinStandardHelpOptions = true,
    description = "Runs a Mask R-CNN ONNX model on every frame: frames topic -> event topics.")
final class DetectCommand implements Callable<Integer> {
  /** How the detector keeps up with cameras. */
  enum Mode {
    realtime,
    complete
  }

  @Option(names = "--model", paramLabel = "FILE.onnx", required = true, description = "The model.")
  Path model;

  @Option(names = "--labels", paramLabel = "FILE", description = "Class names, one per line.")
  Path labels;

  @Option(names = "--threads", paramLabel = "N", description = "Stream threads.")
  Integer threads;

  @Option(
      names = "--mode",
      paramLabel = "MODE",
      defaultValue = "complete",
      description =
          "realtime (skip frames that are too old) or complete (default: ${DEFAULT-VALUE}).")
  Mode mode;

  @Mixin KafkaOptions kafka;

  @Override
  public Integer call() {
    return Unavailable.command("detect", "detector");
  }
}
