package io.maskstream.trainer.data;

import io.maskstream.schemas.rle.CocoRle;

/**
 * One annotated object of a {@link Sample}: its class, box, mask and keypoints at the image's size.
 * Immutable; the arrays must not be changed.
 *
 * @param annotationId the annotation's {@code id}
 * @param categoryId the COCO category id
 * @param label the contiguous class label, 1..K (0 is background)
 * @param crowd whether the annotation marks a crowd region ({@code iscrowd}); Mask R-CNN training
 *     leaves these out, as torchvision's reference training does
 * @param box {@code [x1, y1, x2, y2]} in image pixels
 * @param mask the object's mask, the image's height and width
 * @param keypoints COCO's {@code [x1, y1, v1, x2, y2, v2, ...]} in the order of the dataset's
 *     {@link KeypointSpec} (all 0 where the object has none labelled), or {@code null} when the
 *     dataset has no keypoints
 */
public record Instance(
    long annotationId,
    long categoryId,
    int label,
    boolean crowd,
    double[] box,
    CocoRle mask,
    float[] keypoints) {

  /** An object of a dataset without keypoints. */
  public Instance(
      long annotationId, long categoryId, int label, boolean crowd, double[] box, CocoRle mask) {
    this(annotationId, categoryId, label, crowd, box, mask, null);
  }
}
