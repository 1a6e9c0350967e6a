package io.maskstream.detector;

import io.maskstream.detector.model.ModelLoadException;
import io.maskstream.detector.model.ModelSegmenter;
import io.maskstream.detector.offline.CocoResultsWriter;
import io.maskstream.detector.offline.ImageSource;
import io.maskstream.detector.offline.MotResultsWriter;
import io.maskstream.schemas.cli.UserException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code maskstream infer}: runs a model over a dataset, a folder of images or a video and writes
 * COCO results JSON, through the same decode, pre- and post-processing as the detector.
 */
@Command(
    name = "infer",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a model over a dataset, a folder of images or a video: COCO results JSON.",
      "With --data the results are for evaluation (maskstream eval): detections down to a score"
          + " of 0.05 are kept, as torchvision evaluates; with --images and --video, 0.5."
    })
public final class InferCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(InferCommand.class);

  @Mixin ModelOptions modelOptions;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Input input;

  /** Exactly one source of images. */
  static final class Input {
    @Option(
        names = "--data",
        paramLabel = "DIR",
        description = "A COCO dataset (annotations.json; image ids from it).")
    Path data;

    @Option(
        names = "--images",
        paramLabel = "DIR",
        description = "A folder of images (ids 0, 1, ... in file-name order).")
    Path images;

    @Option(
        names = "--video",
        paramLabel = "FILE",
        description = "A video file (image id = frame index from 0).")
    Path video;
  }

  @Option(
      names = "--score-threshold",
      paramLabel = "S",
      description =
          "Minimum score of a detection written (default: 0.05 with --data, for evaluation, as"
              + " torchvision's box_score_thresh; 0.5 with --images and --video).")
  Float scoreThreshold;

  @Option(names = "--out", paramLabel = "results.json", required = true, description = "Output.")
  Path out;

  @Option(
      names = "--mot-out",
      paramLabel = "FILE",
      description =
          "Also track the objects over the frames (in order) and write them in MOTChallenge"
              + " format, for track-eval.")
  Path motOut;

  @Mixin TrackingOptions tracking;

  @Override
  public Integer call() throws IOException {
    DetectorConfig config =
        modelOptions.applyTo(DetectorConfig.builder(), scoreThreshold()).build();
    ImageSource source =
        input.data != null
            ? ImageSource.dataset(input.data)
            : input.images != null
                ? ImageSource.folder(input.images)
                : ImageSource.video(input.video);
    if (motOut != null && tracking.off()) {
      throw new UserException("--mot-out needs tracking: drop --no-track");
    }
    long[] counts = new long[2];
    try (ModelSegmenter segmenter = open(config);
        CocoResultsWriter writer = new CocoResultsWriter(out, segmenter.currentModel().classes());
        MotResultsWriter mot =
            motOut == null ? null : new MotResultsWriter(motOut, tracking.settings())) {
      source.forEach(
          config.frameLimits(),
          (id, name, image, reason) -> {
            if (image == null) {
              log.warn("skipped {}: {}", name, reason);
              counts[1]++;
              return;
            }
            try {
              Segmentation s = segmenter.segment(image, 0f);
              writer.write(id, s);
              if (mot != null) {
                mot.write(id, s);
              }
              counts[0]++;
            } catch (SegmentationException e) {
              log.warn("skipped {}: {}", name, e.getMessage());
              counts[1]++;
            }
          });
      log.info(
          "{} images, {} detections written to {}{}",
          counts[0],
          writer.written(),
          out,
          counts[1] == 0 ? "" : ", " + counts[1] + " skipped");
    }
    return counts[0] == 0 && counts[1] > 0 ? 1 : 0;
  }

  /** {@code --score-threshold}, else the evaluation default for a dataset, the shown one else. */
  float scoreThreshold() {
    if (scoreThreshold != null) {
      return scoreThreshold;
    }
    return input.data != null
        ? DetectorConfig.EVALUATION_SCORE_THRESHOLD
        : DetectorConfig.SHOWN_SCORE_THRESHOLD;
  }

  private static ModelSegmenter open(DetectorConfig config) {
    try {
      return ModelSegmenter.open(config);
    } catch (ModelLoadException e) {
      throw new UserException(e.getMessage(), e);
    }
  }
}
