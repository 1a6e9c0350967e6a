package io.maskstream.trainer.coco;

import io.maskstream.schemas.rle.CocoIou;
import io.maskstream.schemas.rle.CocoRle;
import java.util.Arrays;
import java.util.List;

/**
 * Operations on COCO run-length encoded masks with pycocotools' exact semantics: merge (union or
 * intersection), polygon and box rasterisation. IoU of masks and boxes is {@link CocoIou}'s.
 *
 * <p>The algorithms are those of pycocotools' {@code maskApi.c} ({@code rleMerge}, {@code
 * rleFrPoly}, {@code rleFrBbox}), written out here because no Java library implements them and
 * evaluation numbers must agree with pycocotools'. Every method is stateless and returns new
 * objects; inputs are never modified.
 */
public final class MaskOps {
  /** pycocotools rasterises polygons on a grid this many times finer than the pixel grid. */
  private static final double POLY_SCALE = 5;

  private MaskOps() {}

  /**
   * Union ({@code intersect == false}) or intersection of masks of one size, as pycocotools' {@code
   * mask.merge}.
   *
   * @throws IllegalArgumentException if the list is empty or the masks differ in size
   */
  public static CocoRle merge(List<CocoRle> masks, boolean intersect) {
    if (masks.isEmpty()) {
      throw new IllegalArgumentException("nothing to merge: no masks");
    }
    CocoRle first = masks.get(0);
    if (masks.size() == 1) {
      return first;
    }
    int h = first.height();
    int w = first.width();
    int[] acc = first.counts();
    int accLength = acc.length;
    for (int i = 1; i < masks.size(); i++) {
      CocoRle next = masks.get(i);
      if (next.height() != h || next.width() != w) {
        throw new IllegalArgumentException(
            "cannot merge masks of different sizes: "
                + h
                + "x"
                + w
                + " and "
                + next.height()
                + "x"
                + next.width());
      }
      int[] a = acc;
      int am = accLength;
      int[] b = next.counts();
      int bm = b.length;
      int[] out = new int[am + bm + 1];
      int m = 0;
      long ca = am > 0 ? a[0] : 0;
      long cb = bm > 0 ? b[0] : 0;
      boolean v = false;
      boolean va = false;
      boolean vb = false;
      int ia = 1;
      int ib = 1;
      long cc = 0;
      long ct = 1;
      while (ct > 0) {
        long c = Math.min(ca, cb);
        cc += c;
        ct = 0;
        ca -= c;
        if (ca == 0 && ia < am) {
          ca = a[ia++];
          va = !va;
        }
        ct += ca;
        cb -= c;
        if (cb == 0 && ib < bm) {
          cb = b[ib++];
          vb = !vb;
        }
        ct += cb;
        boolean vp = v;
        v = intersect ? va && vb : va || vb;
        if (v != vp || ct == 0) {
          out[m++] = (int) cc;
          cc = 0;
        }
      }
      acc = out;
      accLength = m;
    }
    return CocoRle.fromCounts(h, w, Arrays.copyOf(acc, accLength));
  }

  /**
   * Rasterises one polygon ring {@code [x0, y0, x1, y1, ...]} into a {@code height x width} mask
   * exactly as pycocotools' {@code rleFrPoly}: the boundary is traced on a 5x finer grid and a
   * pixel is inside when its centre is. An odd trailing coordinate is ignored, as pycocotools does.
   */
  public static CocoRle fromPolygon(double[] xy, int height, int width) {
    int k = xy.length / 2;
    if (k == 0) {
      return CocoRle.fromCounts(height, width, new int[] {height * width});
    }
    int[] x = new int[k + 1];
    int[] y = new int[k + 1];
    for (int j = 0; j < k; j++) {
      x[j] = (int) (POLY_SCALE * xy[j * 2] + .5);
      y[j] = (int) (POLY_SCALE * xy[j * 2 + 1] + .5);
    }
    x[k] = x[0];
    y[k] = y[0];
    long total = 0;
    for (int j = 0; j < k; j++) {
      total += Math.max(Math.abs(x[j] - x[j + 1]), Math.abs(y[j] - y[j + 1])) + 1L;
    }
    if (total > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("polygon too large to rasterise: " + total + " points");
    }
    int[] u = new int[(int) total];
    int[] v = new int[(int) total];
    int m = 0;
    for (int j = 0; j < k; j++) {
      int xs = x[j];
      int xe = x[j + 1];
      int ys = y[j];
      int ye = y[j + 1];
      int dx = Math.abs(xe - xs);
      int dy = Math.abs(ys - ye);
      boolean flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
      if (flip) {
        int t = xs;
        xs = xe;
        xe = t;
        t = ys;
        ys = ye;
        ye = t;
      }
      // a zero-length edge gives 0/0 = NaN; the point it yields is never read (its neighbours share
      // its x), so its y does not matter
      double s = dx >= dy ? (double) (ye - ys) / dx : (double) (xe - xs) / dy;
      if (dx >= dy) {
        for (int d = 0; d <= dx; d++) {
          int t = flip ? dx - d : d;
          u[m] = t + xs;
          v[m] = (int) (ys + s * t + .5);
          m++;
        }
      } else {
        for (int d = 0; d <= dy; d++) {
          int t = flip ? dy - d : d;
          v[m] = t + ys;
          u[m] = (int) (xs + s * t + .5);
          m++;
        }
      }
    }
    // points where the boundary crosses a pixel column centre, downsampled to the pixel grid
    int points = m;
    long[] a = new long[points + 1];
    int n = 0;
    for (int j = 1; j < points; j++) {
      if (u[j] == u[j - 1]) {
        continue;
      }
      double xd = u[j] < u[j - 1] ? u[j] : u[j] - 1;
      xd = (xd + .5) / POLY_SCALE - .5;
      if (Math.floor(xd) != xd || xd < 0 || xd > width - 1) {
        continue;
      }
      double yd = v[j] < v[j - 1] ? v[j] : v[j - 1];
      yd = (yd + .5) / POLY_SCALE - .5;
      if (yd < 0) {
        yd = 0;
      } else if (yd > height) {
        yd = height;
      }
      yd = Math.ceil(yd);
      a[n++] = (long) (int) xd * height + (int) yd;
    }
    a[n++] = (long) height * width;
    Arrays.sort(a, 0, n);
    long p = 0;
    for (int j = 0; j < n; j++) {
      long t = a[j];
      a[j] -= p;
      p = t;
    }
    int[] b = new int[n];
    int j = 0;
    int bm = 0;
    b[bm++] = (int) a[j++];
    while (j < n) {
      if (a[j] > 0) {
        b[bm++] = (int) a[j++];
      } else {
        j++;
        if (j < n) {
          b[bm - 1] += (int) a[j++];
        }
      }
    }
    return CocoRle.fromCounts(height, width, Arrays.copyOf(b, bm));
  }

  /** Rasterises a box {@code [x, y, w, h]} as pycocotools' {@code frBbox} (a 4-point polygon). */
  public static CocoRle fromBox(double[] box, int height, int width) {
    double xs = box[0];
    double xe = xs + box[2];
    double ys = box[1];
    double ye = ys + box[3];
    return fromPolygon(new double[] {xs, ys, xs, ye, xe, ye, xe, ys}, height, width);
  }
}
