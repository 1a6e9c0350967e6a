package io.maskstream.sinks.capture;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;

/**
 * The 64-bit difference hash (dHash) of an image: the grayscale image averaged down to 9x8 cells,
 * one bit per horizontally neighbouring pair (1 when the left cell is brighter). Near-identical
 * frames (the same scene, recompressed, a little noise) differ in a few bits; another scene in
 * many. Stateless.
 */
public final class DifferenceHash {
  private DifferenceHash() {}

  /** The hash of an encoded image (JPEG, PNG). */
  public static long of(byte[] encoded) throws IOException {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(encoded));
    if (image == null) {
      throw new IOException("not a readable image");
    }
    return of(image);
  }

  /** The hash of {@code image}. */
  public static long of(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    int[] rgb = image.getRGB(0, 0, w, h, null, 0, w);
    double[] sums = new double[9 * 8];
    int[] counts = new int[9 * 8];
    for (int y = 0; y < h; y++) {
      int cy = Math.min(7, y * 8 / h);
      for (int x = 0; x < w; x++) {
        int cx = Math.min(8, x * 9 / w);
        int p = rgb[y * w + x];
        double gray = 0.299 * ((p >> 16) & 0xff) + 0.587 * ((p >> 8) & 0xff) + 0.114 * (p & 0xff);
        sums[cy * 9 + cx] += gray;
        counts[cy * 9 + cx]++;
      }
    }
    long hash = 0;
    for (int y = 0; y < 8; y++) {
      for (int x = 0; x < 8; x++) {
        double left = sums[y * 9 + x] / Math.max(1, counts[y * 9 + x]);
        double right = sums[y * 9 + x + 1] / Math.max(1, counts[y * 9 + x + 1]);
        hash = (hash << 1) | (left > right ? 1 : 0);
      }
    }
    return hash;
  }

  /** The number of bits in which two hashes differ (0-64). */
  public static int distance(long a, long b) {
    return Long.bitCount(a ^ b);
  }

  /** The hash as 16 hex digits, as stored in the dataset. */
  public static String hex(long hash) {
    return String.format("%016x", hash);
  }

  /** The hash of {@link #hex}. */
  public static long parseHex(String hex) {
    return Long.parseUnsignedLong(hex, 16);
  }
}
