package io.maskstream.trainer.eval;

/** What a COCO evaluation compares: boxes, masks or keypoints (pycocotools' {@code iouType}). */
public enum IouType {
  /** Box IoU on {@code [x, y, w, h]}. */
  BBOX("bbox"),
  /** Mask IoU on run-length encoded masks. */
  SEGM("segm"),
  /** Object keypoint similarity (OKS) on {@code keypoints} {@code [x, y, v, ...]}. */
  KEYPOINTS("keypoints");

  private final String cocoName;

  IouType(String cocoName) {
    this.cocoName = cocoName;
  }

  /** The name pycocotools uses ({@code bbox}, {@code segm} or {@code keypoints}). */
  public String cocoName() {
    return cocoName;
  }
}
