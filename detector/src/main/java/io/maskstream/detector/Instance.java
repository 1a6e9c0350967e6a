package io.maskstream.detector;

import io.maskstream.schemas.rle.CocoRle;
import java.util.Objects;

/**
 * One detected object: class, score, box in frame pixels, its binary mask at frame resolution and
 * its keypoints. Immutable; the keypoint array must not be changed.
 *
 * @param classId class id as the model numbers it (torchvision: COCO category id)
 * @param label human-readable class name
 * @param score confidence in [0, 1]
 * @param x1 left edge in frame pixels
 * @param y1 top edge in frame pixels
 * @param x2 right edge in frame pixels
 * @param y2 bottom edge in frame pixels
 * @param mask the thresholded mask at frame resolution, COCO RLE; null from a model without a mask
 *     head (torchvision's Keypoint R-CNN)
 * @param keypoints {@code x, y, score} of each keypoint in frame pixels, in the order of the
 *     model's {@link KeypointLayout}; null from a model without a keypoint head
 */
public record Instance(
    int classId,
    String label,
    float score,
    float x1,
    float y1,
    float x2,
    float y2,
    CocoRle mask,
    float[] keypoints) {
  /** Checks that the label is present and that there is a mask or keypoints. */
  public Instance {
    Objects.requireNonNull(label, "label");
    if (mask == null && keypoints == null) {
      throw new IllegalArgumentException("an instance has a mask, keypoints or both");
    }
  }

  /** An instance with a mask and no keypoints. */
  public Instance(
      int classId,
      String label,
      float score,
      float x1,
      float y1,
      float x2,
      float y2,
      CocoRle mask) {
    this(classId, label, score, x1, y1, x2, y2, Objects.requireNonNull(mask, "mask"), null);
  }
}
