package io.maskstream.detector;

import io.maskstream.schemas.rle.CocoRle;
import java.util.Objects;

/**
 * One detected object: class, score, box in frame pixels and its binary mask at frame resolution.
 * Immutable.
 *
 * @param classId class id as the model numbers it (torchvision: COCO category id)
 * @param label human-readable class name
 * @param score confidence in [0, 1]
 * @param x1 left edge in frame pixels
 * @param y1 top edge in frame pixels
 * @param x2 right edge in frame pixels
 * @param y2 bottom edge in frame pixels
 * @param mask the thresholded mask at frame resolution, COCO RLE
 */
public record Instance(
    int classId, String label, float score, float x1, float y1, float x2, float y2, CocoRle mask) {
  /** Checks that the label and mask are present. */
  public Instance {
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(mask, "mask");
  }
}
