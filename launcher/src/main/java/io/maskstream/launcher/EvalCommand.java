package io.maskstream.launcher;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code maskstream eval}: COCO box and mask AP. */
@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    description = "COCO box and mask AP of results against a dataset, printed as pycocotools does.")
final class EvalCommand implements Callable<Integer> {
  @Option(names = "--data", paramLabel = "DIR", required = true, description = "The dataset.")
  Path data;

  @Option(names = "--results", paramLabel = "FILE", required = true, description = "Results JSON.")
  Path results;

  @Override
  public Integer call() {
    return Unavailable.command("eval", "trainer");
  }
}
