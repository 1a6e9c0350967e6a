package io.maskstream.trainer.train;

import io.maskstream.schemas.masks.MaskEncoder;
import io.maskstream.schemas.rle.CocoRle;
import io.maskstream.trainer.coco.CocoFile;
import io.maskstream.trainer.coco.CocoJson;
import io.maskstream.trainer.coco.CocoResult;
import io.maskstream.trainer.coco.Segmentation;
import io.maskstream.trainer.data.CocoDataset;
import io.maskstream.trainer.data.Sample;
import io.maskstream.trainer.data.TrainingTargets;
import io.maskstream.trainer.engine.Torch;
import io.maskstream.trainer.eval.CocoEvaluator;
import io.maskstream.trainer.eval.CocoResults;
import io.maskstream.trainer.eval.EvalSummary;
import io.maskstream.trainer.eval.IouType;
import io.maskstream.trainer.model.Detections;
import io.maskstream.trainer.model.MaskRcnn;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;

/**
 * COCO box, mask and keypoint AP of a network on a validation dataset, measured as {@code
 * maskstream eval} measures results files: detections as torchvision's evaluation makes them (masks
 * thresholded at 0.5, compressed RLE; keypoints with visibility 1), evaluated with pycocotools'
 * semantics (keypoints with {@link CocoEvaluator#sigmasFor}). Holds the dataset; not thread-safe.
 */
// each PointerScope releases the temporaries created inside it without naming them
@SuppressWarnings("try")
public final class Validation {
  /** torchvision's: a pixel is inside a mask when its probability is above it. */
  private static final float MASK_THRESHOLD = 0.5f;

  private final CocoFile groundTruth;
  private final List<Sample> samples;
  private final long[] categoryIds;

  /**
   * A validation on {@code dataset}, whose labels are the training set's.
   *
   * @param categoryIds the dataset category id of each label, index = label
   */
  public Validation(CocoDataset dataset, long[] categoryIds) {
    this.groundTruth = CocoJson.readAnnotations(dataset.root().resolve("annotations.json"));
    this.samples = dataset.samples();
    this.categoryIds = categoryIds.clone();
  }

  /**
   * The AP summaries.
   *
   * @param mask null for a network without masks
   * @param keypoints null for a network without keypoints
   */
  public record Result(EvalSummary box, EvalSummary mask, EvalSummary keypoints, int detections) {
    /** Box AP at IoU 0.50:0.95, 0 when nothing was found. */
    public double boxAp() {
      return Math.max(0, box.stat(0));
    }

    /** Mask AP at IoU 0.50:0.95, 0 when nothing was found or without masks. */
    public double maskAp() {
      return mask == null ? 0 : Math.max(0, mask.stat(0));
    }

    /** Keypoint AP at OKS 0.50:0.95, 0 when nothing was found or without keypoints. */
    public double keypointAp() {
      return keypoints == null ? 0 : Math.max(0, keypoints.stat(0));
    }
  }

  /** The number of images. */
  public int size() {
    return samples.size();
  }

  /**
   * Runs the network on every image in evaluation mode and evaluates its detections; the network is
   * left in the mode it was in.
   */
  public Result evaluate(MaskRcnn model) {
    boolean training = model.isTraining();
    model.train(false);
    List<CocoResult> results = new ArrayList<>();
    try (NoGradGuard noGrad = new NoGradGuard()) {
      for (Sample sample : samples) {
        try (PointerScope scope = new PointerScope();
            TrainingTargets.Example example = TrainingTargets.example(sample, false)) {
          for (Detections d : model.detect(List.of(example.image()))) {
            addResults(sample, d, results);
            d.close();
          }
        }
      }
    } finally {
      model.train(training);
    }
    CocoResults detections = CocoResults.of(results, groundTruth, "validation");
    MaskRcnn.Branches branches = model.branches();
    return new Result(
        CocoEvaluator.evaluate(groundTruth, detections, IouType.BBOX),
        branches.masks() ? CocoEvaluator.evaluate(groundTruth, detections, IouType.SEGM) : null,
        branches.keypoints() > 0
            ? CocoEvaluator.evaluate(
                groundTruth,
                detections,
                IouType.KEYPOINTS,
                CocoEvaluator.sigmasFor(branches.keypoints()))
            : null,
        results.size());
  }

  private void addResults(Sample sample, Detections d, List<CocoResult> out) {
    float[] boxes = Torch.toFloats(d.boxes());
    float[] scores = Torch.toFloats(d.scores());
    float[] masks = d.masks() == null ? null : Torch.toFloats(d.masks());
    float[] keypoints = d.keypoints() == null ? null : Torch.toFloats(d.keypoints());
    int perObject = d.keypoints() == null ? 0 : (int) d.keypoints().size(1) * 3;
    int h = sample.height();
    int w = sample.width();
    int plane = h * w;
    FloatBuffer planes = masks == null ? null : FloatBuffer.wrap(masks);
    for (int k = 0; k < scores.length; k++) {
      CocoRle rle =
          masks == null ? null : MaskEncoder.encode(planes, k * plane, h, w, MASK_THRESHOLD);
      double[] points = null;
      if (keypoints != null) {
        points = new double[perObject];
        for (int j = 0; j < perObject; j++) {
          points[j] = keypoints[k * perObject + j];
        }
      }
      double x1 = boxes[4 * k];
      double y1 = boxes[4 * k + 1];
      out.add(
          new CocoResult(
              out.size(),
              sample.imageId(),
              categoryIds[(int) d.labels()[k]],
              (double) scores[k],
              new double[] {x1, y1, boxes[4 * k + 2] - x1, boxes[4 * k + 3] - y1},
              rle == null ? null : new Segmentation.CompressedRle(h, w, rle.toCompressedString()),
              points,
              List.of()));
    }
  }
}
