package io.maskstream.schemas.masks;

/**
 * Pastes a small square mask (e.g. a Mask R-CNN head's 28x28 output) into an image-sized canvas
 * exactly as torchvision's {@code paste_masks_in_image} does: pad by one pixel, scale the box by
 * {@code (M + 2) / M} about its centre, truncate it to integers, resize the padded mask bilinearly
 * (half-pixel centres, {@code align_corners=False}) to the box's {@code (x2 - x1 + 1) x (y2 - y1 +
 * 1)} pixels and copy the part inside the image.
 *
 * <p>Written out here because no Java library implements torchvision's rule: the detector pastes
 * the small masks of models that leave pasting to the caller (ONNX Model Zoo MaskRCNN, the
 * trainer's exports), and the trainer pastes its own detections with it for evaluation and
 * inference. Float arithmetic follows PyTorch's CPU kernel so results agree to float rounding.
 * Stateless.
 */
public final class MaskPaster {
  private static final int PADDING = 1;

  private MaskPaster() {}

  /**
   * Pastes one mask.
   *
   * @param mask {@code m * m} probabilities, row-major
   * @param m side of the square mask
   * @param box x1, y1, x2, y2 in image pixels
   * @param height image height
   * @param width image width
   * @return {@code height * width} probabilities, row-major, zero outside the box
   */
  public static float[] paste(float[] mask, int m, float[] box, int height, int width) {
    float[] canvas = new float[height * width];
    paste(mask, 0, m, box, height, width, canvas);
    return canvas;
  }

  /**
   * Pastes one mask read from {@code masks[offset ..]} into {@code canvas}, which the caller
   * provides zeroed ({@code height * width}, row-major).
   */
  public static void paste(
      float[] masks, int offset, int m, float[] box, int height, int width, float[] canvas) {
    paste(masks, offset, m, box, 0, height, width, canvas, 0);
  }

  /**
   * Pastes one mask read from {@code masks[offset ..]} with the box read from {@code
   * boxes[boxOffset .. boxOffset + 4]} into the plane of {@code canvas} starting at {@code
   * canvasOffset}, which the caller provides zeroed ({@code height * width}, row-major): one of
   * several masks pasted into one array of planes.
   */
  public static void paste(
      float[] masks,
      int offset,
      int m,
      float[] boxes,
      int boxOffset,
      int height,
      int width,
      float[] canvas,
      int canvasOffset) {
    int p = m + 2 * PADDING;
    long[] expanded = expandedBox(boxes, boxOffset, m);
    long bx0 = expanded[0];
    long by0 = expanded[1];
    long bx1 = expanded[2];
    long by1 = expanded[3];
    int w = (int) Math.max(bx1 - bx0 + 1, 1);
    int h = (int) Math.max(by1 - by0 + 1, 1);
    long x0 = Math.max(bx0, 0);
    long x1 = Math.min(bx1 + 1, width);
    long y0 = Math.max(by0, 0);
    long y1 = Math.min(by1 + 1, height);
    if (x1 <= x0 || y1 <= y0) {
      return;
    }
    Axis xs = new Axis(p, w);
    Axis ys = new Axis(p, h);
    for (long y = y0; y < y1; y++) {
      int ry = (int) (y - by0);
      int sy0 = ys.index0[ry];
      int sy1 = sy0 + ys.offset[ry];
      float ly = ys.lambda[ry];
      for (long x = x0; x < x1; x++) {
        int rx = (int) (x - bx0);
        int sx0 = xs.index0[rx];
        int sx1 = sx0 + xs.offset[rx];
        float lx = xs.lambda[rx];
        float top =
            (1 - lx) * padded(masks, offset, m, sy0, sx0) + lx * padded(masks, offset, m, sy0, sx1);
        float bottom =
            (1 - lx) * padded(masks, offset, m, sy1, sx0) + lx * padded(masks, offset, m, sy1, sx1);
        canvas[canvasOffset + (int) (y * width + x)] = (1 - ly) * top + ly * bottom;
      }
    }
  }

  /**
   * The image rectangle a paste writes: {@code {x0, y0, x1, y1}} (end exclusive, clipped to the
   * image, possibly empty). Outside it the pasted mask is zero.
   */
  public static int[] support(float[] box, int m, int height, int width) {
    long[] expanded = expandedBox(box, 0, m);
    long bx0 = expanded[0];
    long by0 = expanded[1];
    long bx1 = expanded[2];
    long by1 = expanded[3];
    int x0 = (int) Math.min(Math.max(bx0, 0), width);
    int y0 = (int) Math.min(Math.max(by0, 0), height);
    int x1 = (int) Math.max(Math.min(bx1 + 1, width), x0);
    int y1 = (int) Math.max(Math.min(by1 + 1, height), y0);
    return new int[] {x0, y0, x1, y1};
  }

  /**
   * The box scaled about its centre by the padding ratio {@code (m + 2) / m}, as {@code {x0, y0,
   * x1, y1}}: the integer rectangle the padded mask is resized onto.
   */
  private static long[] expandedBox(float[] boxes, int at, int m) {
    float scale = (float) (m + 2 * PADDING) / m;
    float x1 = boxes[at];
    float y1 = boxes[at + 1];
    float x2 = boxes[at + 2];
    float y2 = boxes[at + 3];
    float wHalf = (x2 - x1) * 0.5f * scale;
    float hHalf = (y2 - y1) * 0.5f * scale;
    float xc = (x2 + x1) * 0.5f;
    float yc = (y2 + y1) * 0.5f;
    // torchvision casts the expanded box to int64: truncation towards zero
    return new long[] {
      (long) (xc - wHalf), (long) (yc - hHalf), (long) (xc + wHalf), (long) (yc + hHalf)
    };
  }

  private static float padded(float[] masks, int offset, int m, int py, int px) {
    int y = py - PADDING;
    int x = px - PADDING;
    if (y < 0 || x < 0 || y >= m || x >= m) {
      return 0f;
    }
    return masks[offset + y * m + x];
  }

  /** Source indices and weights of one axis of PyTorch's bilinear resize (align_corners=False). */
  private static final class Axis {
    final int[] index0;
    final int[] offset;
    final float[] lambda;

    Axis(int in, int out) {
      index0 = new int[out];
      offset = new int[out];
      lambda = new float[out];
      float scale = (float) in / out;
      for (int i = 0; i < out; i++) {
        float real = Math.max(scale * (i + 0.5f) - 0.5f, 0f);
        int i0 = (int) real;
        index0[i] = i0;
        offset[i] = i0 < in - 1 ? 1 : 0;
        lambda[i] = Math.min(Math.max(real - i0, 0f), 1f);
      }
    }
  }
}
