package io.maskstream.detector.zone;

import io.maskstream.schemas.rle.CocoIou;

/**
 * The plane geometry zones and lines need, in frame pixels (x right, y down). Written out here:
 * these few formulas with the product's exact rules (which side of a line, crossing of two
 * segments, share of a mask's pixels inside a polygon) are smaller than a geometry library's
 * conventions.
 */
final class Geometry {
  private Geometry() {}

  /**
   * Which side of the directed line from {@code (ax, ay)} to {@code (bx, by)} the point is on,
   * facing from a to b as the image shows it: 1 right-hand, -1 left-hand, 0 on the line.
   */
  static int side(double ax, double ay, double bx, double by, double px, double py) {
    double cross = (bx - ax) * (py - ay) - (by - ay) * (px - ax);
    return cross > 0 ? 1 : cross < 0 ? -1 : 0;
  }

  /** Whether segment p1-p2 and segment q1-q2 meet (touching counts). */
  static boolean segmentsMeet(
      double p1x,
      double p1y,
      double p2x,
      double p2y,
      double q1x,
      double q1y,
      double q2x,
      double q2y) {
    int d1 = side(q1x, q1y, q2x, q2y, p1x, p1y);
    int d2 = side(q1x, q1y, q2x, q2y, p2x, p2y);
    int d3 = side(p1x, p1y, p2x, p2y, q1x, q1y);
    int d4 = side(p1x, p1y, p2x, p2y, q2x, q2y);
    if (d1 * d2 < 0 && d3 * d4 < 0) {
      return true;
    }
    return (d1 == 0 && within(q1x, q1y, q2x, q2y, p1x, p1y))
        || (d2 == 0 && within(q1x, q1y, q2x, q2y, p2x, p2y))
        || (d3 == 0 && within(p1x, p1y, p2x, p2y, q1x, q1y))
        || (d4 == 0 && within(p1x, p1y, p2x, p2y, q2x, q2y));
  }

  /** Whether a point known to be on the line through a and b lies between them. */
  private static boolean within(double ax, double ay, double bx, double by, double px, double py) {
    return Math.min(ax, bx) <= px
        && px <= Math.max(ax, bx)
        && Math.min(ay, by) <= py
        && py <= Math.max(ay, by);
  }

  /**
   * Whether the point is inside the polygon (even-odd rule; points on the border may go either
   * way).
   */
  static boolean inside(double[] xs, double[] ys, double px, double py) {
    boolean in = false;
    int n = xs.length;
    for (int i = 0, j = n - 1; i < n; j = i++) {
      if ((ys[i] > py) != (ys[j] > py)
          && px < (xs[j] - xs[i]) * (py - ys[i]) / (ys[j] - ys[i]) + xs[i]) {
        in = !in;
      }
    }
    return in;
  }

  /**
   * The share of a mask's pixels whose centres are inside the polygon: each column the mask touches
   * is cut by the polygon's edges at the column's centre, and the mask's runs are intersected with
   * the spans inside. 0 for an empty mask.
   */
  static double shareInside(CocoIou.Columns mask, double[] xs, double[] ys) {
    long total = 0;
    long in = 0;
    int n = xs.length;
    double[] cuts = new double[n];
    for (int i = 0; i < mask.runs().length; i++) {
      int[] runs = mask.runs()[i];
      if (runs.length == 0) {
        continue;
      }
      double cx = mask.x0() + i + 0.5;
      int k = 0;
      for (int a = 0, b = n - 1; a < n; b = a++) {
        if ((xs[a] > cx) != (xs[b] > cx)) {
          cuts[k++] = ys[a] + (ys[b] - ys[a]) * (cx - xs[a]) / (xs[b] - xs[a]);
        }
      }
      java.util.Arrays.sort(cuts, 0, k);
      for (int r = 0; r < runs.length; r += 2) {
        total += runs[r + 1] - runs[r];
        // pixel y is inside when its centre y + 0.5 lies in a span [cuts[2m], cuts[2m+1])
        for (int m = 0; m + 1 < k; m += 2) {
          long from = Math.max(runs[r], (long) Math.ceil(cuts[m] - 0.5));
          long to = Math.min(runs[r + 1], (long) Math.ceil(cuts[m + 1] - 0.5));
          if (to > from) {
            in += to - from;
          }
        }
      }
    }
    return total == 0 ? 0 : (double) in / total;
  }
}
