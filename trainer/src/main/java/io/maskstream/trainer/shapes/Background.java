package io.maskstream.trainer.shapes;

import java.util.SplittableRandom;

/**
 * A procedural image background: plain, gradient, smooth noise, stripes or checkerboard. Each is a
 * pure function of its parameters, so a clip's frames share one background. Immutable.
 */
sealed interface Background {
  /** Fills {@code rgb} (row-major, {@code 0xRRGGBB}) with the background. */
  void paint(int[] rgb, int width, int height);

  /** A random background of a random kind. */
  static Background random(SplittableRandom r) {
    return switch (r.nextInt(5)) {
      case 0 -> new Plain(r.nextInt(0x1000000));
      case 1 ->
          new Gradient(
              r.nextDouble(),
              r.nextDouble(),
              r.nextDouble(),
              r.nextDouble(),
              r.nextInt(0x1000000),
              r.nextInt(0x1000000));
      case 2 ->
          new Noise(r.nextInt(0x1000000), 20 + r.nextInt(70), 4 + r.nextInt(28), r.nextLong());
      case 3 ->
          new Stripes(
              r.nextInt(0x1000000),
              r.nextInt(0x1000000),
              6 + r.nextInt(30),
              r.nextDouble() * Math.PI);
      default -> new Checker(r.nextInt(0x1000000), r.nextInt(0x1000000), 6 + r.nextInt(30));
    };
  }

  /** One colour. */
  record Plain(int color) implements Background {
    @Override
    public void paint(int[] rgb, int width, int height) {
      java.util.Arrays.fill(rgb, 0, width * height, color);
    }
  }

  /** A linear gradient between two points given as fractions of the image size. */
  record Gradient(double x0, double y0, double x1, double y1, int from, int to)
      implements Background {
    @Override
    public void paint(int[] rgb, int width, int height) {
      double dx = (x1 - x0) * width;
      double dy = (y1 - y0) * height;
      double len2 = Math.max(dx * dx + dy * dy, 1);
      for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
          double t = ((x - x0 * width) * dx + (y - y0 * height) * dy) / len2;
          rgb[y * width + x] = mix(from, to, Math.min(1, Math.max(0, t)));
        }
      }
    }
  }

  /** Smooth value noise on a grid of {@code cell} pixels around a base colour, plus grain. */
  record Noise(int base, int amplitude, int cell, long seed) implements Background {
    @Override
    public void paint(int[] rgb, int width, int height) {
      int gw = width / cell + 2;
      int gh = height / cell + 2;
      SplittableRandom r = new SplittableRandom(seed);
      double[][] grid = new double[3][gw * gh];
      for (double[] channel : grid) {
        for (int i = 0; i < channel.length; i++) {
          channel[i] = r.nextDouble(-1, 1);
        }
      }
      for (int y = 0; y < height; y++) {
        double fy = (double) y / cell;
        int gy = (int) fy;
        double ty = fy - gy;
        for (int x = 0; x < width; x++) {
          double fx = (double) x / cell;
          int gx = (int) fx;
          double tx = fx - gx;
          int out = 0;
          for (int c = 0; c < 3; c++) {
            double[] g = grid[c];
            double v =
                (g[gy * gw + gx] * (1 - tx) + g[gy * gw + gx + 1] * tx) * (1 - ty)
                    + (g[(gy + 1) * gw + gx] * (1 - tx) + g[(gy + 1) * gw + gx + 1] * tx) * ty;
            int channel = (base >> (16 - 8 * c)) & 0xff;
            int grain = r.nextInt(9) - 4;
            out = (out << 8) | clamp(channel + (int) Math.round(v * amplitude) + grain);
          }
          rgb[y * width + x] = out;
        }
      }
    }
  }

  /** Parallel stripes of two colours, {@code period} pixels wide, at an angle. */
  record Stripes(int a, int b, double period, double angle) implements Background {
    @Override
    public void paint(int[] rgb, int width, int height) {
      double cos = Math.cos(angle);
      double sin = Math.sin(angle);
      for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
          double u = (x * cos + y * sin) / period;
          rgb[y * width + x] = (((long) Math.floor(u)) & 1) == 0 ? a : b;
        }
      }
    }
  }

  /** A checkerboard of two colours with square cells. */
  record Checker(int a, int b, int cell) implements Background {
    @Override
    public void paint(int[] rgb, int width, int height) {
      for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
          rgb[y * width + x] = ((x / cell + y / cell) & 1) == 0 ? a : b;
        }
      }
    }
  }

  /** Linear blend of two colours. */
  static int mix(int from, int to, double t) {
    int out = 0;
    for (int shift = 16; shift >= 0; shift -= 8) {
      int f = (from >> shift) & 0xff;
      int g = (to >> shift) & 0xff;
      out = (out << 8) | clamp((int) Math.round(f + (g - f) * t));
    }
    return out;
  }

  /** Sum of absolute channel differences, 0..765. */
  static int distance(int c1, int c2) {
    int d = 0;
    for (int shift = 16; shift >= 0; shift -= 8) {
      d += Math.abs(((c1 >> shift) & 0xff) - ((c2 >> shift) & 0xff));
    }
    return d;
  }

  private static int clamp(int v) {
    return Math.min(255, Math.max(0, v));
  }
}
