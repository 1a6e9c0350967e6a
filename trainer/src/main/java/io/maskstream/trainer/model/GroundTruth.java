package io.maskstream.trainer.model;

import org.bytedeco.pytorch.Tensor;

/**
 * The annotated objects of one training image, in the resized image's pixels. The tensors stay the
 * caller's: the model only reads them.
 *
 * @param boxes {@code [G, 4]} float32 {@code [x1, y1, x2, y2]}
 * @param labels {@code G} classes, 1..C-1
 * @param masks {@code [G, H, W]} float32, 1 inside each object
 * @param keypoints {@code [G, K, 3]} float32 COCO keypoints {@code (x, y, v)} ({@code v} 0: not
 *     labelled, then x and y are 0), or {@code null} when the dataset has none
 */
public record GroundTruth(Tensor boxes, long[] labels, Tensor masks, Tensor keypoints) {
  /** Checks that boxes, labels, masks and keypoints describe the same objects. */
  public GroundTruth {
    if (boxes.size(0) != labels.length
        || masks.size(0) != labels.length
        || (keypoints != null && keypoints.size(0) != labels.length)) {
      throw new IllegalArgumentException(
          boxes.size(0)
              + " boxes, "
              + labels.length
              + " labels, "
              + masks.size(0)
              + " masks"
              + (keypoints == null ? "" : " and " + keypoints.size(0) + " keypoint sets"));
    }
  }

  /** Objects without keypoints. */
  public GroundTruth(Tensor boxes, long[] labels, Tensor masks) {
    this(boxes, labels, masks, null);
  }
}
