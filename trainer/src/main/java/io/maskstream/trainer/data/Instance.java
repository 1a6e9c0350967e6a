package io.maskstream.trainer.data;

import io.maskstream.schemas.rle.CocoRle;

/**
 * One annotated object of a {@link Sample}: its class, box and mask at the image's size. Immutable;
 * the box array must not be changed.
 *
 * @param annotationId the annotation's {@code id}
 * @param categoryId the COCO category id
 * @param label the contiguous class label, 1..K (0 is background)
 * @param crowd whether the annotation marks a crowd region ({@code iscrowd}); Mask R-CNN training
 *     leaves these out, as torchvision's reference training does
 * @param box {@code [x1, y1, x2, y2]} in image pixels
 * @param mask the object's mask, the image's height and width
 */
public record Instance(
    long annotationId, long categoryId, int label, boolean crowd, double[] box, CocoRle mask) {}
