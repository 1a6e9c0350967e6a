package io.maskstream.trainer.coco;

import java.util.List;

/**
 * One detection of a COCO results file as read: absent fields are {@code null}, malformed ones are
 * named in {@link #defects()}. Immutable; the arrays must not be changed.
 *
 * @param index position in the results array, from 0
 * @param imageId the {@code image_id}, or null
 * @param categoryId the {@code category_id}, or null
 * @param score the {@code score}, or null
 * @param bbox the {@code bbox} {@code [x, y, w, h]}, or null (an empty list reads as null)
 * @param segmentation the {@code segmentation}, or null
 * @param keypoints the {@code keypoints} {@code [x1, y1, v1, ...]}, or null
 * @param defects what could not be read, one phrase each
 */
public record CocoResult(
    int index,
    Long imageId,
    Long categoryId,
    Double score,
    double[] bbox,
    Segmentation segmentation,
    double[] keypoints,
    List<String> defects) {

  /** Copies the defect list. */
  public CocoResult {
    defects = List.copyOf(defects);
  }

  /** A result without keypoints. */
  public CocoResult(
      int index,
      Long imageId,
      Long categoryId,
      Double score,
      double[] bbox,
      Segmentation segmentation,
      List<String> defects) {
    this(index, imageId, categoryId, score, bbox, segmentation, null, defects);
  }
}
