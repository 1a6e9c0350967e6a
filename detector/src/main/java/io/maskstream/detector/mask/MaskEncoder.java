package io.maskstream.detector.mask;

import io.maskstream.schemas.rle.CocoRle;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Thresholds a probability plane into a binary mask and run-length encodes it in COCO order
 * (column-major) in one pass, without materialising the binary mask. Stateless.
 */
public final class MaskEncoder {
  private MaskEncoder() {}

  /**
   * Encodes the pixels whose probability is strictly greater than {@code threshold}.
   *
   * @param plane probabilities, row-major, starting at {@code offset}
   * @param offset index of pixel (0, 0) in {@code plane}
   * @param height plane height
   * @param width plane width
   * @param threshold 0.5 in torchvision's convention
   */
  public static CocoRle encode(
      FloatBuffer plane, int offset, int height, int width, float threshold) {
    Runs runs = new Runs(height * width);
    for (int x = 0; x < width; x++) {
      for (int y = 0, i = offset + x; y < height; y++, i += width) {
        runs.add(plane.get(i) > threshold);
      }
    }
    return CocoRle.fromCounts(height, width, runs.counts());
  }

  /**
   * Encodes like {@link #encode(FloatBuffer, int, int, int, float)}, reading only the rectangle
   * {@code support = {x0, y0, x1, y1}} (end exclusive): every pixel outside it is taken as outside
   * the mask. A pasted mask is zero outside its paste rectangle, so this gives the same result in a
   * fraction of the time.
   */
  public static CocoRle encode(
      FloatBuffer plane, int offset, int height, int width, float threshold, int[] support) {
    int x0 = support[0];
    int y0 = support[1];
    int x1 = support[2];
    int y1 = support[3];
    Runs runs = new Runs(height * width);
    if (x1 <= x0 || y1 <= y0) {
      runs.addZeros(height * width);
      return CocoRle.fromCounts(height, width, runs.counts());
    }
    runs.addZeros(x0 * height);
    for (int x = x0; x < x1; x++) {
      runs.addZeros(y0);
      for (int y = y0, i = offset + y0 * width + x; y < y1; y++, i += width) {
        runs.add(plane.get(i) > threshold);
      }
      runs.addZeros(height - y1);
    }
    runs.addZeros((width - x1) * height);
    return CocoRle.fromCounts(height, width, runs.counts());
  }

  /** As {@link #encode(FloatBuffer, int, int, int, float, int[])} for an array. */
  public static CocoRle encode(
      float[] plane, int height, int width, float threshold, int[] support) {
    return encode(FloatBuffer.wrap(plane), 0, height, width, threshold, support);
  }

  /** As {@link #encode(FloatBuffer, int, int, int, float)} for an array. */
  public static CocoRle encode(float[] plane, int height, int width, float threshold) {
    return encode(FloatBuffer.wrap(plane), 0, height, width, threshold);
  }

  private static final class Runs {
    private int[] counts = new int[16];
    private int size;
    private boolean current;
    private int run;

    Runs(int pixels) {
      if (pixels <= 0) {
        throw new IllegalArgumentException("empty mask");
      }
    }

    void add(boolean inside) {
      if (inside != current) {
        push(run);
        run = 0;
        current = inside;
      }
      run++;
    }

    void addZeros(int n) {
      if (n <= 0) {
        return;
      }
      if (current) {
        push(run);
        run = 0;
        current = false;
      }
      run += n;
    }

    private void push(int count) {
      if (size == counts.length) {
        counts = Arrays.copyOf(counts, size * 2);
      }
      counts[size++] = count;
    }

    int[] counts() {
      push(run);
      return Arrays.copyOf(counts, size);
    }
  }
}
