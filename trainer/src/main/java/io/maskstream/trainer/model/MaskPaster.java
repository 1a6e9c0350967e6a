package io.maskstream.trainer.model;

import io.maskstream.trainer.engine.Torch;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Puts each detection's {@code M x M} mask into a full-image canvas as torchvision's {@code
 * paste_masks_in_image}: the mask padded by one pixel on each side, the box scaled by {@code (M +
 * 2) / M} about its centre and truncated to integers, the padded mask resized bilinearly ({@code
 * align_corners=False}) to {@code (y2 - y1 + 1) x (x2 - x1 + 1)} and copied in, clipped to the
 * image. Stateless; results are new tensors owned by the caller.
 */
// the PointerScope releases the temporaries created inside it without naming them
@SuppressWarnings("try")
public final class MaskPaster {
  private MaskPaster() {}

  /**
   * Full-image masks {@code [K, 1, height, width]} of masks {@code [K, 1, M, M]} in boxes {@code
   * [K, 4]}.
   */
  public static Tensor paste(Tensor masks, Tensor boxes, int height, int width) {
    int k = (int) masks.size(0);
    int m = (int) masks.size(2);
    float scale = (float) ((double) (m + 2) / m);
    float[] b = Torch.toFloats(boxes);
    float[] canvas = new float[k * height * width];
    try (PointerScope scope = new PointerScope()) {
      Tensor padded = torch.constant_pad_nd(masks, 1, 1, 1, 1);
      for (int i = 0; i < k; i++) {
        float halfW = (b[i * 4 + 2] - b[i * 4]) * 0.5f * scale;
        float halfH = (b[i * 4 + 3] - b[i * 4 + 1]) * 0.5f * scale;
        float cx = (b[i * 4 + 2] + b[i * 4]) * 0.5f;
        float cy = (b[i * 4 + 3] + b[i * 4 + 1]) * 0.5f;
        long x1 = (long) (cx - halfW);
        long y1 = (long) (cy - halfH);
        long x2 = (long) (cx + halfW);
        long y2 = (long) (cy + halfH);
        int w = (int) Math.max(x2 - x1 + 1, 1);
        int h = (int) Math.max(y2 - y1 + 1, 1);
        float[] resized =
            Torch.toFloats(
                torch.upsample_bilinear2d(padded.narrow(0, i, 1), new long[] {h, w}, false));
        long x0 = Math.max(x1, 0);
        long xEnd = Math.min(x2 + 1, width);
        long y0 = Math.max(y1, 0);
        long yEnd = Math.min(y2 + 1, height);
        for (long y = y0; y < yEnd; y++) {
          for (long x = x0; x < xEnd; x++) {
            canvas[(int) ((i * (long) height + y) * width + x)] =
                resized[(int) ((y - y1) * w + (x - x1))];
          }
        }
      }
    }
    return Torch.floats(canvas, k, 1, height, width);
  }
}
