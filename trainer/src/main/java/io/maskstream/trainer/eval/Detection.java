package io.maskstream.trainer.eval;

import io.maskstream.trainer.coco.Segmentation;

/**
 * A detection ready for evaluation, with the id, area and box that pycocotools' {@code loadRes}
 * gives it. Immutable; the box array must not be changed.
 *
 * @param id 1-based position in the results file
 * @param imageId the image
 * @param categoryId the category
 * @param score the confidence
 * @param bbox {@code [x, y, w, h]}
 * @param area the area used for area ranges
 * @param segmentation the mask, or null when the results have none
 * @param keypoints {@code [x1, y1, v1, ...]}, or null when the detection has none
 */
public record Detection(
    long id,
    long imageId,
    long categoryId,
    double score,
    double[] bbox,
    double area,
    Segmentation segmentation,
    double[] keypoints) {

  /** A detection without keypoints. */
  public Detection(
      long id,
      long imageId,
      long categoryId,
      double score,
      double[] bbox,
      double area,
      Segmentation segmentation) {
    this(id, imageId, categoryId, score, bbox, area, segmentation, null);
  }
}
