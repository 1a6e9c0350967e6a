package io.maskstream.schemas.masks;

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
    return encode(plane, offset, height, width, threshold, support, height, width);
  }

  /**
   * Encodes like {@link #encode(FloatBuffer, int, int, int, float, int[])}, as a mask of {@code
   * outHeight x outWidth} pixels: the plane scaled to that size by nearest neighbour, pixel centres
   * aligned (output pixel {@code X} reads plane column {@code floor((X + 0.5) * width /
   * outWidth)}). Nothing of the output size is allocated but the row lookup, so a mask of a frame
   * of tens of megapixels costs its runs only. With the plane's own size it is the plain encoding.
   */
  public static CocoRle encode(
      FloatBuffer plane,
      int offset,
      int height,
      int width,
      float threshold,
      int[] support,
      int outHeight,
      int outWidth) {
    Runs runs = new Runs((long) outHeight * outWidth);
    int[] cols = span(support[0], support[2], width, outWidth);
    int[] rows = span(support[1], support[3], height, outHeight);
    if (cols[1] <= cols[0] || rows[1] <= rows[0]) {
      runs.addZeros((long) outHeight * outWidth);
      return CocoRle.fromCounts(outHeight, outWidth, runs.counts());
    }
    int[] rowIndex = new int[rows[1] - rows[0]];
    for (int y = rows[0]; y < rows[1]; y++) {
      rowIndex[y - rows[0]] = offset + source(y, height, outHeight) * width;
    }
    runs.addZeros((long) cols[0] * outHeight);
    for (int x = cols[0]; x < cols[1]; x++) {
      int sx = source(x, width, outWidth);
      runs.addZeros(rows[0]);
      for (int i : rowIndex) {
        runs.add(plane.get(i + sx) > threshold);
      }
      runs.addZeros(outHeight - rows[1]);
    }
    runs.addZeros((long) (outWidth - cols[1]) * outHeight);
    return CocoRle.fromCounts(outHeight, outWidth, runs.counts());
  }

  /**
   * The plane index output pixel {@code i} of {@code out} reads, for a plane side of {@code in}.
   */
  private static int source(int i, int in, int out) {
    return (int) Math.min(in - 1, ((2L * i + 1) * in) / (2L * out));
  }

  /**
   * The output pixels {@code {from, to}} (end exclusive) whose source lies in {@code [s0, s1)}: the
   * mapping is monotone, so they are contiguous.
   */
  private static int[] span(int s0, int s1, int in, int out) {
    if (s1 <= s0) {
      return new int[] {0, 0};
    }
    return new int[] {firstAtLeast(s0, in, out), firstAtLeast(s1, in, out)};
  }

  /** The first output pixel whose source is at least {@code s} ({@code out} when none is). */
  private static int firstAtLeast(int s, int in, int out) {
    if (s >= in) {
      return out;
    }
    long i = (long) s * out / in; // within a pixel or two of the answer; the loops settle it
    while (i > 0 && source((int) i - 1, in, out) >= s) {
      i--;
    }
    while (i < out && source((int) i, in, out) < s) {
      i++;
    }
    return (int) i;
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

    Runs(long pixels) {
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

    void addZeros(long n) {
      if (n <= 0) {
        return;
      }
      if (current) {
        push(run);
        run = 0;
        current = false;
      }
      run = Math.addExact(run, Math.toIntExact(n));
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
