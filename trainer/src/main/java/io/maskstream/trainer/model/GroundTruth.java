package io.maskstream.trainer.model;

import org.bytedeco.pytorch.Tensor;

/**
 * The annotated objects of one training image, in the resized image's pixels. The tensors stay the
 * caller's: the model only reads them.
 *
 * @param boxes {@code [G, 4]} float32 {@code [x1, y1, x2, y2]}
 * @param labels {@code G} classes, 1..C-1
 * @param masks {@code [G, H, W]} float32, 1 inside each object
 */
public record GroundTruth(Tensor boxes, long[] labels, Tensor masks) {
  /** Checks that boxes, labels and masks describe the same objects. */
  public GroundTruth {
    if (boxes.size(0) != labels.length || masks.size(0) != labels.length) {
      throw new IllegalArgumentException(
          boxes.size(0) + " boxes, " + labels.length + " labels and " + masks.size(0) + " masks");
    }
  }
}
