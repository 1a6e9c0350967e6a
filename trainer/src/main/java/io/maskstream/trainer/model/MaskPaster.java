package io.maskstream.trainer.model;

import io.maskstream.trainer.engine.Torch;
import org.bytedeco.pytorch.Tensor;

/**
 * Puts each detection's {@code M x M} mask into a full-image canvas as torchvision's {@code
 * paste_masks_in_image}, with the paste the detector uses ({@link
 * io.maskstream.schemas.masks.MaskPaster}): the mask padded by one pixel on each side, the box
 * scaled by {@code (M + 2) / M} about its centre and truncated to integers, the padded mask resized
 * bilinearly ({@code align_corners=False}) to {@code (y2 - y1 + 1) x (x2 - x1 + 1)} and copied in,
 * clipped to the image. Stateless; results are new tensors owned by the caller.
 */
public final class MaskPaster {
  private MaskPaster() {}

  /**
   * Full-image masks {@code [K, 1, height, width]} of masks {@code [K, 1, M, M]} in boxes {@code
   * [K, 4]}.
   */
  public static Tensor paste(Tensor masks, Tensor boxes, int height, int width) {
    int k = (int) masks.size(0);
    int m = (int) masks.size(2);
    float[] small = Torch.toFloats(masks);
    float[] b = Torch.toFloats(boxes);
    int plane = height * width;
    float[] canvas = new float[Math.multiplyExact(k, plane)];
    for (int i = 0; i < k; i++) {
      io.maskstream.schemas.masks.MaskPaster.paste(
          small, i * m * m, m, b, 4 * i, height, width, canvas, i * plane);
    }
    return Torch.floats(canvas, k, 1, height, width);
  }
}
