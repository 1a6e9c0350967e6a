package io.maskstream.trainer.eval;

/** What a COCO evaluation compares: boxes or masks (pycocotools' {@code iouType}). */
public enum IouType {
  /** Box IoU on {@code [x, y, w, h]}. */
  BBOX("bbox"),
  /** Mask IoU on run-length encoded masks. */
  SEGM("segm");

  private final String cocoName;

  IouType(String cocoName) {
    this.cocoName = cocoName;
  }

  /** The name pycocotools uses ({@code bbox} or {@code segm}). */
  public String cocoName() {
    return cocoName;
  }
}
