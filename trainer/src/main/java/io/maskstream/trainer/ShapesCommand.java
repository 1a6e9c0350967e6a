package io.maskstream.trainer;

import io.maskstream.schemas.cli.UserException;
import io.maskstream.trainer.shapes.ShapesConfig;
import io.maskstream.trainer.shapes.ShapesGenerator;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code maskstream shapes}: writes a synthetic shapes dataset (COCO instances with PNG images), or
 * with {@code --video} a clip of moving shapes with the ground truth of every frame.
 */
@Command(
    name = "shapes",
    mixinStandardHelpOptions = true,
    description = {
      "Writes a synthetic shapes dataset (COCO format) or video with ground truth.",
      "Images: DIR/images/*.png and DIR/annotations.json (image ids from 1).",
      "--video: DIR/clip.mp4, its frames as DIR/images/frame_*.png, DIR/annotations.json"
          + " whose image ids are the frame indices from 0 (track_id per annotation), and"
          + " DIR/gt.txt, the boxes with their track ids in MOTChallenge format (frames from 1)."
    })
public final class ShapesCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--out", paramLabel = "DIR", required = true, description = "Output folder.")
  Path out;

  @Option(
      names = "--n",
      paramLabel = "N",
      description = "Number of images (a dataset); not with --video.")
  Integer n;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Random seed.")
  long seed;

  @Option(names = "--video", paramLabel = "FRAMES", description = "Write a clip of FRAMES frames.")
  Integer video;

  @Option(
      names = "--keypoints",
      description =
          "Also annotate each object's four extreme points (top, right, bottom, left) as COCO"
              + " keypoints, with the categories' keypoint names, skeleton and flip_map.")
  boolean keypoints;

  @Override
  public Integer call() throws IOException {
    if ((n == null) == (video == null)) {
      throw new UserException(
          "give --n N for a dataset of N images, or --video FRAMES for a clip (one of them)");
    }
    int count = n != null ? n : video;
    if (count < 1 || count > 1_000_000) {
      throw new UserException(
          (n != null ? "--n" : "--video") + " must be between 1 and 1000000, got " + count);
    }
    if (Files.exists(out) && !isEmptyDirectory(out)) {
      throw new UserException(out + " exists and is not an empty folder: choose a new --out");
    }
    Files.createDirectories(out);
    ShapesGenerator generator = new ShapesGenerator(ShapesConfig.defaults(), keypoints);
    PrintWriter console = spec.commandLine().getOut();
    if (video != null) {
      generator.writeClip(out, video, seed);
      console.println(
          "Wrote a clip of "
              + video
              + " frames to "
              + out.resolve("clip.mp4")
              + " with ground truth (annotations.json; gt.txt with track ids)");
    } else {
      generator.writeDataset(out, n, seed);
      console.println("Wrote " + n + " images to " + out + " (annotations.json, images/)");
    }
    console.flush();
    return 0;
  }

  private static boolean isEmptyDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.findAny().isEmpty();
    }
  }
}
