package io.maskstream.trainer.model;

import org.bytedeco.pytorch.Tensor;

/**
 * The objects found in one image, best first. Closing it closes its tensors.
 *
 * @param boxes {@code [K, 4]} float32 {@code [x1, y1, x2, y2]} in the pixels of the image the
 *     caller gave: its own size for {@link MaskRcnn#detect(java.util.List)}, the resized batch's
 *     otherwise
 * @param scores {@code [K]} float32 class probabilities
 * @param labels {@code K} classes, 1..C-1
 * @param masks {@code [K, 1, M, M]} float32 mask probabilities in each box, or {@code null} before
 *     the mask branch ran or for a model without one
 * @param keypoints {@code [K, P, 3]} float32 keypoints {@code (x, y, 1)} in the same pixels as the
 *     boxes, or {@code null} for a model without a keypoint branch
 * @param keypointScores {@code [K, P]} float32 heatmap values at the keypoints, or {@code null}
 */
public record Detections(
    Tensor boxes,
    Tensor scores,
    long[] labels,
    Tensor masks,
    Tensor keypoints,
    Tensor keypointScores)
    implements AutoCloseable {

  /** Detections without keypoints. */
  public Detections(Tensor boxes, Tensor scores, long[] labels, Tensor masks) {
    this(boxes, scores, labels, masks, null, null);
  }

  /** The same detections with their masks. */
  public Detections withMasks(Tensor maskProbabilities) {
    return new Detections(boxes, scores, labels, maskProbabilities, keypoints, keypointScores);
  }

  @Override
  public void close() {
    boxes.close();
    scores.close();
    for (Tensor t : new Tensor[] {masks, keypoints, keypointScores}) {
      if (t != null) {
        t.close();
      }
    }
  }
}
