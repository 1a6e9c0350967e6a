package io.maskstream.launcher;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code maskstream infer}: offline inference into COCO results JSON. */
@Command(
    name = "infer",
    mixinStandardHelpOptions = true,
    description = "Runs a model over a dataset, a folder of images or a video: COCO results JSON.")
final class InferCommand implements Callable<Integer> {
  @Option(names = "--model", paramLabel = "FILE.onnx", required = true, description = "The model.")
  Path model;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Input input;

  static final class Input {
    @Option(
        names = "--data",
        paramLabel = "DIR",
        description = "A COCO dataset (annotations.json).")
    Path data;

    @Option(names = "--images", paramLabel = "DIR", description = "A folder of images.")
    Path images;

    @Option(names = "--video", paramLabel = "FILE", description = "A video file.")
    Path video;
  }

  @Option(names = "--out", paramLabel = "results.json", required = true, description = "Output.")
  Path out;

  @Option(
      names = "--score-threshold",
      defaultValue = "0.5",
      description = "Minimum score (default: ${DEFAULT-VALUE}).")
  double scoreThreshold;

  @Override
  public Integer call() {
    return Unavailable.command("infer", "detector");
  }
}
