package io.maskstream.launcher;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code maskstream shapes}: synthetic dataset or video with ground truth. */
@Command(
    name = "shapes",
    mixinStandardHelpOptions = true,
    description = "Writes a synthetic shapes dataset (COCO format) or video with ground truth.")
final class ShapesCommand implements Callable<Integer> {
  @Option(names = "--out", paramLabel = "DIR", required = true, description = "Output folder.")
  Path out;

  @Option(names = "--n", paramLabel = "N", required = true, description = "Number of images.")
  int n;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Random seed.")
  long seed;

  @Option(names = "--video", paramLabel = "FRAMES", description = "Write a clip of FRAMES frames.")
  Integer video;

  @Override
  public Integer call() {
    return Unavailable.command("shapes", "trainer");
  }
}
