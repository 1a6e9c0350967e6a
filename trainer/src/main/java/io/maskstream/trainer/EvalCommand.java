package io.maskstream.trainer;

import io.maskstream.schemas.cli.UserException;
import io.maskstream.trainer.coco.CocoFile;
import io.maskstream.trainer.coco.CocoJson;
import io.maskstream.trainer.eval.CocoEvaluator;
import io.maskstream.trainer.eval.CocoResults;
import io.maskstream.trainer.eval.EvalSummary;
import io.maskstream.trainer.eval.IouType;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code maskstream eval}: COCO box, mask and keypoint AP of a results file against a dataset,
 * printed as pycocotools' {@code COCOeval.summarize()} prints them (box, then mask, then keypoints
 * when the results have them).
 */
@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    description =
        "COCO box, mask and keypoint AP of results against a dataset, printed as pycocotools"
            + " does.")
public final class EvalCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--data",
      paramLabel = "DIR",
      required = true,
      description = "The dataset: a folder with annotations.json (or the JSON file itself).")
  Path data;

  @Option(
      names = "--results",
      paramLabel = "FILE",
      required = true,
      description =
          "Results JSON: a list of {image_id, category_id, bbox, score, segmentation} (and"
              + " keypoints: then keypoint AP too).")
  Path results;

  @Option(
      names = "--keypoint-sigmas",
      paramLabel = "S",
      split = ",",
      description =
          "Keypoint AP: the per-keypoint sigmas of the object keypoint similarity, one per keypoint"
              + " (default: COCO's 17 person keypoints' sigmas, as pycocotools).")
  double[] keypointSigmas;

  @Override
  public Integer call() {
    Path annotations = Files.isDirectory(data) ? data.resolve("annotations.json") : data;
    if (!Files.isRegularFile(annotations)) {
      throw new UserException(
          "no annotations.json in "
              + data
              + ": --data must be a COCO dataset folder (or its annotations JSON file)");
    }
    if (!Files.isRegularFile(results)) {
      throw new UserException("results file " + results + " does not exist");
    }
    CocoFile groundTruth = CocoJson.readAnnotations(annotations);
    CocoResults detections = CocoResults.read(results, groundTruth);
    PrintWriter out = spec.commandLine().getOut();
    for (IouType type : IouType.values()) {
      if (type == IouType.SEGM && !detections.hasMasks()) {
        out.println("No segmentation in " + results + ": mask AP not evaluated.");
        continue;
      }
      if (type == IouType.KEYPOINTS && !detections.hasKeypoints()) {
        continue;
      }
      EvalSummary summary =
          type == IouType.KEYPOINTS && keypointSigmas != null
              ? CocoEvaluator.evaluate(groundTruth, detections, type, keypointSigmas)
              : CocoEvaluator.evaluate(groundTruth, detections, type);
      out.println("Evaluate annotation type *" + type.cocoName() + "*");
      summary.lines().forEach(out::println);
    }
    out.flush();
    return 0;
  }
}
