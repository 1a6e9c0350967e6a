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
 *     the mask branch ran
 */
public record Detections(Tensor boxes, Tensor scores, long[] labels, Tensor masks)
    implements AutoCloseable {
  /** The same detections with their masks. */
  public Detections withMasks(Tensor maskProbabilities) {
    return new Detections(boxes, scores, labels, maskProbabilities);
  }

  @Override
  public void close() {
    boxes.close();
    scores.close();
    if (masks != null) {
      masks.close();
    }
  }
}
