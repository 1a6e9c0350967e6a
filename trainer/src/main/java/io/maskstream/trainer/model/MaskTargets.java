package io.maskstream.trainer.model;

import io.maskstream.trainer.engine.Torch;
import org.bytedeco.pytorch.Tensor;

/**
 * Mask targets as torchvision's {@code project_masks_on_boxes}: each ground-truth mask cut out of
 * the image at its proposal's box and resized to {@code M x M} by RoIAlign (scale 1, {@code
 * aligned=False}, adaptive sampling: {@code ceil(box side / M)} samples per bin and axis). The
 * targets are fractions in {@code [0, 1]}, not thresholded.
 *
 * <p>The ground truth needs no gradient, so the sampling runs in Java in float32 with the
 * arithmetic of torchvision's CPU kernel. Immutable; results are new tensors owned by the caller.
 */
public final class MaskTargets {
  private final int size;

  /** Targets of {@code size x size} (28 in Mask R-CNN). */
  public MaskTargets(int size) {
    if (size < 1) {
      throw new IllegalArgumentException("mask target size must be >= 1: " + size);
    }
    this.size = size;
  }

  /**
   * The targets {@code [K, M, M]} of proposals {@code [K, 4]} matched to the masks {@code [G, H,
   * W]} (float32, 1 inside the object) by {@code matched[k]}.
   */
  public Tensor project(Tensor masks, Tensor proposals, long[] matched) {
    long[] shape = masks.shape();
    int height = (int) shape[1];
    int width = (int) shape[2];
    float[] m = Torch.toFloats(masks);
    float[] boxes = Torch.toFloats(proposals);
    int k = matched.length;
    if (boxes.length != k * 4) {
      throw new IllegalArgumentException(k + " matches for " + boxes.length / 4 + " proposals");
    }
    float[] out = new float[k * size * size];
    for (int i = 0; i < k; i++) {
      int g = (int) matched[i];
      if (g < 0 || g >= shape[0]) {
        throw new IllegalArgumentException("match " + g + " outside the " + shape[0] + " masks");
      }
      align(m, g * height * width, height, width, boxes, i * 4, out, i * size * size);
    }
    return Torch.floats(out, k, size, size);
  }

  private void align(
      float[] map, int base, int height, int width, float[] box, int b, float[] out, int o) {
    float startW = box[b];
    float startH = box[b + 1];
    float roiW = Math.max(box[b + 2] - startW, 1f);
    float roiH = Math.max(box[b + 3] - startH, 1f);
    float binW = roiW / size;
    float binH = roiH / size;
    int gridH = (int) Math.ceil(roiH / size);
    int gridW = (int) Math.ceil(roiW / size);
    float count = Math.max(gridH * gridW, 1);
    int[] cells = new int[4];
    float[] weights = new float[4];
    for (int py = 0; py < size; py++) {
      for (int px = 0; px < size; px++) {
        float sum = 0f;
        for (int iy = 0; iy < gridH; iy++) {
          float y = startH + py * binH + (iy + .5f) * binH / gridH;
          for (int ix = 0; ix < gridW; ix++) {
            float x = startW + px * binW + (ix + .5f) * binW / gridW;
            sum += bilinear(map, base, height, width, y, x, cells, weights);
          }
        }
        out[o + py * size + px] = sum / count;
      }
    }
  }

  /** torchvision's bilinear read of one mask ({@link RoiAlign#bilinear}). */
  private static float bilinear(
      float[] map, int base, int height, int width, float y, float x, int[] cells, float[] w) {
    if (!RoiAlign.bilinear(y, x, height, width, cells, w)) {
      return 0f;
    }
    return w[0] * map[base + cells[0]]
        + w[1] * map[base + cells[1]]
        + w[2] * map[base + cells[2]]
        + w[3] * map[base + cells[3]];
  }
}
