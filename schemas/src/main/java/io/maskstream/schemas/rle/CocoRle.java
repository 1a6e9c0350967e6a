package io.maskstream.schemas.rle;

import java.util.Arrays;

/**
 * A binary mask in COCO run-length encoding, with the compressed string form that pycocotools
 * writes ({@code mask.encode}), its {@code area} and {@code toBbox}.
 *
 * <p>Runs are counted over the mask flattened column-major (x outer, y inner), alternating zeros
 * and ones and starting with zeros, so the first count may be 0. The compressed form stores each
 * count (minus the count two places earlier, from the fourth on) as little-endian groups of 5 bits
 * in printable characters. The algorithm is pycocotools' {@code maskApi.c}; it is written out here
 * because no Java library implements it, and it must agree byte for byte.
 *
 * <p>Instances are immutable and own a private copy of their counts.
 */
public final class CocoRle {
  private final int height;
  private final int width;
  private final int[] counts;

  private CocoRle(int height, int width, int[] counts) {
    this.height = height;
    this.width = width;
    this.counts = counts;
  }

  /**
   * Wraps uncompressed counts (as in pycocotools' uncompressed RLE).
   *
   * @throws IllegalArgumentException if a count is negative or the counts do not cover exactly
   *     {@code height * width} pixels
   */
  public static CocoRle fromCounts(int height, int width, int[] counts) {
    checkSize(height, width);
    int[] copy = counts.clone();
    checkCoverage(height, width, copy);
    return new CocoRle(height, width, copy);
  }

  /**
   * Encodes a row-major mask ({@code mask[y * width + x]}, non-zero = inside), the memory order of
   * images and tensors.
   */
  public static CocoRle encodeRowMajor(byte[] mask, int height, int width) {
    checkSize(height, width);
    checkLength(mask.length, height, width);
    RunBuilder runs = new RunBuilder(height, width);
    for (int x = 0; x < width; x++) {
      for (int i = x, y = 0; y < height; y++, i += width) {
        runs.add(mask[i] != 0);
      }
    }
    return runs.build();
  }

  /** Encodes a column-major mask ({@code mask[x * height + y]}, non-zero = inside). */
  public static CocoRle encodeColumnMajor(byte[] mask, int height, int width) {
    checkSize(height, width);
    checkLength(mask.length, height, width);
    RunBuilder runs = new RunBuilder(height, width);
    for (byte b : mask) {
      runs.add(b != 0);
    }
    return runs.build();
  }

  /**
   * Decodes the compressed string form ({@code segmentation.counts} in COCO JSON).
   *
   * @throws IllegalArgumentException if the string has characters outside the encoding or does not
   *     describe exactly {@code height * width} pixels
   */
  public static CocoRle fromString(int height, int width, String compressed) {
    checkSize(height, width);
    int[] cnts = new int[compressed.length()];
    int m = 0;
    int p = 0;
    while (p < compressed.length()) {
      long x = 0;
      int k = 0;
      boolean more = true;
      while (more) {
        if (p >= compressed.length()) {
          throw new IllegalArgumentException(
              "truncated RLE string: it ends inside a count (" + compressed.length() + " chars)");
        }
        int c = compressed.charAt(p) - 48;
        if (c < 0 || c > 63) {
          throw new IllegalArgumentException(
              "invalid character '" + compressed.charAt(p) + "' at " + p + " in an RLE string");
        }
        if (k > 12) {
          throw new IllegalArgumentException("RLE count too long at " + p);
        }
        x |= (long) (c & 0x1f) << (5 * k);
        more = (c & 0x20) != 0;
        p++;
        k++;
        if (!more && (c & 0x10) != 0) {
          x |= -1L << (5 * k);
        }
      }
      if (m > 2) {
        x += cnts[m - 2];
      }
      if (x < 0 || x > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("RLE count out of range (" + x + ") at " + p);
      }
      cnts[m++] = (int) x;
    }
    int[] result = Arrays.copyOf(cnts, m);
    checkCoverage(height, width, result);
    return new CocoRle(height, width, result);
  }

  /** The compressed string form, byte-identical to pycocotools' {@code mask.encode}. */
  public String toCompressedString() {
    StringBuilder s = new StringBuilder(counts.length * 2);
    for (int i = 0; i < counts.length; i++) {
      long x = counts[i];
      if (i > 2) {
        x -= counts[i - 2];
      }
      boolean more = true;
      while (more) {
        int c = (int) (x & 0x1f);
        x >>= 5;
        more = (c & 0x10) != 0 ? x != -1 : x != 0;
        if (more) {
          c |= 0x20;
        }
        s.append((char) (c + 48));
      }
    }
    return s.toString();
  }

  /** Number of pixels inside the mask (pycocotools' {@code area}). */
  public long area() {
    long a = 0;
    for (int i = 1; i < counts.length; i += 2) {
      a += counts[i];
    }
    return a;
  }

  /**
   * Bounding box {@code [x, y, w, h]} as pycocotools' {@code toBbox} computes it: all zeros for an
   * empty mask, and the full height for a mask whose runs span more than one column.
   */
  public double[] toBbox() {
    int m = (counts.length / 2) * 2;
    if (m == 0) {
      return new double[4];
    }
    long h = height;
    long xs = width;
    long ys = height;
    long xe = 0;
    long ye = 0;
    long cc = 0;
    long xp = 0;
    for (int j = 0; j < m; j++) {
      cc += counts[j];
      long t = cc - (j % 2);
      long y = t % h;
      long x = (t - y) / h;
      if (j % 2 == 0) {
        xp = x;
      } else if (xp < x) {
        ys = 0;
        ye = h - 1;
      }
      xs = Math.min(xs, x);
      xe = Math.max(xe, x);
      ys = Math.min(ys, y);
      ye = Math.max(ye, y);
    }
    return new double[] {xs, ys, xe - xs + 1, ye - ys + 1};
  }

  /** Decodes to a new row-major mask of 0/1 bytes ({@code mask[y * width + x]}). */
  public byte[] decodeRowMajor() {
    byte[] mask = new byte[height * width];
    long pos = 0;
    for (int i = 0; i < counts.length; i++) {
      int run = counts[i];
      if ((i & 1) == 1) {
        for (long j = pos; j < pos + run; j++) {
          int x = (int) (j / height);
          int y = (int) (j % height);
          mask[y * width + x] = 1;
        }
      }
      pos += run;
    }
    return mask;
  }

  /** Mask height in pixels. */
  public int height() {
    return height;
  }

  /** Mask width in pixels. */
  public int width() {
    return width;
  }

  /** A copy of the uncompressed run counts. */
  public int[] counts() {
    return counts.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CocoRle r
        && r.height == height
        && r.width == width
        && Arrays.equals(r.counts, counts);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * height + width) + Arrays.hashCode(counts);
  }

  @Override
  public String toString() {
    return "CocoRle[" + height + "x" + width + ", area " + area() + "]";
  }

  private static void checkSize(int height, int width) {
    if (height < 0 || width < 0 || (long) height * width > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("invalid mask size " + height + "x" + width);
    }
  }

  private static void checkLength(int length, int height, int width) {
    if (length != height * width) {
      throw new IllegalArgumentException(
          "mask has "
              + length
              + " values but "
              + height
              + "x"
              + width
              + " needs "
              + height * width);
    }
  }

  private static void checkCoverage(int height, int width, int[] counts) {
    long sum = 0;
    for (int c : counts) {
      if (c < 0) {
        throw new IllegalArgumentException("negative RLE count " + c);
      }
      sum += c;
    }
    if (sum != (long) height * width) {
      throw new IllegalArgumentException(
          "RLE counts cover "
              + sum
              + " pixels but a "
              + height
              + "x"
              + width
              + " mask has "
              + (long) height * width);
    }
  }

  /** Accumulates alternating runs, starting with zeros, as pycocotools' {@code rleEncode}. */
  private static final class RunBuilder {
    private final int height;
    private final int width;
    private int[] runs = new int[16];
    private int n;
    private boolean current;
    private int run;

    RunBuilder(int height, int width) {
      this.height = height;
      this.width = width;
    }

    void add(boolean value) {
      if (value != current) {
        push(run);
        run = 0;
        current = value;
      }
      run++;
    }

    CocoRle build() {
      push(run);
      return new CocoRle(height, width, Arrays.copyOf(runs, n));
    }

    private void push(int count) {
      if (n == runs.length) {
        runs = Arrays.copyOf(runs, n * 2);
      }
      runs[n++] = count;
    }
  }
}
