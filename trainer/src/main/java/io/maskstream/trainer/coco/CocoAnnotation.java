package io.maskstream.trainer.coco;

import java.util.List;

/**
 * An entry of {@code annotations} in a COCO annotations file as read, before any check of its
 * meaning: fields that are absent are {@code null}, and fields that are present but malformed are
 * named in {@link #defects()}. Immutable; the arrays must not be changed.
 *
 * @param index position in the file's {@code annotations} array, from 0
 * @param id the {@code id}, or null
 * @param imageId the {@code image_id}, or null
 * @param categoryId the {@code category_id}, or null
 * @param bbox the {@code bbox} {@code [x, y, w, h]}, or null
 * @param area the {@code area}, or null
 * @param iscrowd the {@code iscrowd} flag (absent = false)
 * @param segmentation the {@code segmentation}, or null
 * @param keypoints the {@code keypoints} {@code [x1, y1, v1, ...]} (v 0 unlabelled, 1 hidden, 2
 *     visible), or null
 * @param numKeypoints the {@code num_keypoints} (labelled keypoints), or null
 * @param defects what could not be read, one phrase each; empty for a well-formed entry
 */
public record CocoAnnotation(
    int index,
    Long id,
    Long imageId,
    Long categoryId,
    double[] bbox,
    Double area,
    boolean iscrowd,
    Segmentation segmentation,
    double[] keypoints,
    Integer numKeypoints,
    List<String> defects) {

  /** Copies the defect list. */
  public CocoAnnotation {
    defects = List.copyOf(defects);
  }

  /** Names the annotation for an error message: its id (or position) and image. */
  public String describe() {
    String who = id != null ? "annotation id " + id : "annotations[" + index + "]";
    return imageId != null ? who + " (image id " + imageId + ")" : who;
  }
}
