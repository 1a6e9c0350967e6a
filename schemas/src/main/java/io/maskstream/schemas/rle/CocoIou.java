package io.maskstream.schemas.rle;

import java.util.List;

/**
 * Intersection over union of COCO run-length encoded masks and of boxes with pycocotools' exact
 * semantics ({@code maskApi.c}'s {@code rleIou} and {@code bbIou}, crowd regions included): the
 * evaluator scores with it, the tracker matches masks with it.
 *
 * <p>Written out here because no Java library implements pycocotools' rules, and evaluation numbers
 * must agree with pycocotools'. Stateless; inputs are never modified.
 */
public final class CocoIou {
  private CocoIou() {}

  /**
   * IoU of every detection mask with every ground-truth mask, as pycocotools' {@code mask.iou}:
   * {@code result[d][g]}. For a crowd ground truth ({@code iscrowd[g]}) the value is the
   * intersection over the detection's area. A pair of different sizes gets -1.
   */
  public static double[][] iou(List<CocoRle> dt, List<CocoRle> gt, boolean[] iscrowd) {
    checkCrowd(gt.size(), iscrowd);
    double[][] dtBoxes = new double[dt.size()][];
    double[][] gtBoxes = new double[gt.size()][];
    int[][] dtCounts = new int[dt.size()][];
    int[][] gtCounts = new int[gt.size()][];
    for (int d = 0; d < dt.size(); d++) {
      dtBoxes[d] = dt.get(d).toBbox();
      dtCounts[d] = dt.get(d).counts();
    }
    for (int g = 0; g < gt.size(); g++) {
      gtBoxes[g] = gt.get(g).toBbox();
      gtCounts[g] = gt.get(g).counts();
    }
    // pycocotools only walks the runs of pairs whose boxes overlap
    double[][] o = boxIou(dtBoxes, gtBoxes, iscrowd);
    for (int g = 0; g < gt.size(); g++) {
      for (int d = 0; d < dt.size(); d++) {
        if (o[d][g] <= 0) {
          continue;
        }
        CocoRle dr = dt.get(d);
        CocoRle gr = gt.get(g);
        if (dr.height() != gr.height() || dr.width() != gr.width()) {
          o[d][g] = -1;
          continue;
        }
        o[d][g] = runIou(dtCounts[d], gtCounts[g], iscrowd != null && iscrowd[g]);
      }
    }
    return o;
  }

  private static double runIou(int[] a, int[] b, boolean crowd) {
    long ca = a.length > 0 ? a[0] : 0;
    long cb = b.length > 0 ? b[0] : 0;
    boolean va = false;
    boolean vb = false;
    int ia = 1;
    int ib = 1;
    long inter = 0;
    long union = 0;
    long ct = 1;
    while (ct > 0) {
      long c = Math.min(ca, cb);
      if (va || vb) {
        union += c;
        if (va && vb) {
          inter += c;
        }
      }
      ct = 0;
      ca -= c;
      if (ca == 0 && ia < a.length) {
        ca = a[ia++];
        va = !va;
      }
      ct += ca;
      cb -= c;
      if (cb == 0 && ib < b.length) {
        cb = b[ib++];
        vb = !vb;
      }
      ct += cb;
    }
    if (inter == 0) {
      union = 1;
    } else if (crowd) {
      union = 0;
      for (int i = 1; i < a.length; i += 2) {
        union += a[i];
      }
    }
    return (double) inter / (double) union;
  }

  /**
   * IoU of every detection box with every ground-truth box ({@code [x, y, w, h]}), as pycocotools'
   * {@code bbIou}: {@code result[d][g]}. Widths are {@code x2 - x1} (no +1); for a crowd ground
   * truth the value is the intersection over the detection's area.
   */
  public static double[][] boxIou(double[][] dt, double[][] gt, boolean[] iscrowd) {
    checkCrowd(gt.length, iscrowd);
    double[][] o = new double[dt.length][gt.length];
    for (int g = 0; g < gt.length; g++) {
      double[] gb = gt[g];
      double ga = gb[2] * gb[3];
      boolean crowd = iscrowd != null && iscrowd[g];
      for (int d = 0; d < dt.length; d++) {
        double[] db = dt[d];
        double da = db[2] * db[3];
        double w = Math.min(db[2] + db[0], gb[2] + gb[0]) - Math.max(db[0], gb[0]);
        if (w <= 0) {
          continue;
        }
        double h = Math.min(db[3] + db[1], gb[3] + gb[1]) - Math.max(db[1], gb[1]);
        if (h <= 0) {
          continue;
        }
        double i = w * h;
        double u = crowd ? da : da + ga - i;
        o[d][g] = i / u;
      }
    }
    return o;
  }

  /** IoU of two masks of one size, by their runs (neither a crowd region). */
  public static double of(CocoRle a, CocoRle b) {
    if (a.height() != b.height() || a.width() != b.width()) {
      throw new IllegalArgumentException(
          "masks of different sizes: "
              + a.width()
              + "x"
              + a.height()
              + " and "
              + b.width()
              + "x"
              + b.height());
    }
    return runIou(a.counts(), b.counts(), false);
  }

  /**
   * A mask's pixels as runs per column, kept only for the columns it touches: {@code runs[i]} holds
   * the {@code y0, y1} pairs (end exclusive), top to bottom, of column {@code x0 + i}. Computed
   * once per mask when it is compared with several others.
   *
   * @param width the mask's width
   * @param height the mask's height
   * @param x0 the first column with a pixel
   * @param runs the runs of columns {@code x0} onwards
   */
  public record Columns(int width, int height, int x0, int[][] runs) {
    int[] at(int x) {
      int i = x - x0;
      return i < 0 || i >= runs.length ? EMPTY : runs[i];
    }
  }

  /** The runs per column of {@code mask} ({@link Columns}). */
  public static Columns columns(CocoRle mask) {
    int h = mask.height();
    int[] counts = mask.counts();
    // the columns the mask touches, from its runs of ones
    long first = -1;
    long last = -1;
    long p = 0;
    for (int k = 0; k < counts.length; k++) {
      if (k % 2 == 1 && counts[k] > 0) {
        if (first < 0) {
          first = p;
        }
        last = p + counts[k] - 1;
      }
      p += counts[k];
    }
    if (first < 0) {
      return new Columns(mask.width(), h, 0, new int[0][]);
    }
    int x0 = (int) (first / h);
    int x1 = (int) (last / h) + 1;
    int[][] grow = new int[x1 - x0][];
    int[] sizes = new int[x1 - x0];
    p = 0;
    for (int k = 0; k < counts.length; k++) {
      long end = p + counts[k];
      if (k % 2 == 1) {
        while (p < end) {
          int i = (int) (p / h) - x0;
          int y = (int) (p % h);
          int y1 = (int) Math.min(h, y + (end - p));
          if (grow[i] == null) {
            grow[i] = new int[4];
          } else if (sizes[i] + 2 > grow[i].length) {
            grow[i] = java.util.Arrays.copyOf(grow[i], grow[i].length * 2);
          }
          grow[i][sizes[i]++] = y;
          grow[i][sizes[i]++] = y1;
          p += y1 - y;
        }
      }
      p = end;
    }
    for (int i = 0; i < grow.length; i++) {
      grow[i] = grow[i] == null ? EMPTY : java.util.Arrays.copyOf(grow[i], sizes[i]);
    }
    return new Columns(mask.width(), h, x0, grow);
  }

  private static final int[] EMPTY = new int[0];

  /**
   * IoU of mask {@code a} moved by {@code (dx, dy)} pixels (what leaves the frame is gone) with
   * mask {@code b} of the same size, both given as {@link #columns}: how well a tracked object's
   * last mask, carried along by its predicted motion, covers a new detection.
   *
   * @throws IllegalArgumentException when the masks differ in size
   */
  public static double shifted(Columns a, Columns b, int dx, int dy) {
    if (a.width() != b.width() || a.height() != b.height()) {
      throw new IllegalArgumentException("masks of different sizes");
    }
    int height = a.height();
    long areaA = area(a, dx, dy);
    long areaB = area(b, 0, 0);
    long inter = 0;
    int from = Math.max(b.x0(), a.x0() + dx);
    int to = Math.min(b.x0() + b.runs().length, a.x0() + a.runs().length + dx);
    for (int x = from; x < to; x++) {
      int[] ca = a.at(x - dx);
      int[] cb = b.at(x);
      int j = 0;
      for (int i = 0; i < ca.length; i += 2) {
        int y0 = Math.max(0, ca[i] + dy);
        int y1 = Math.min(height, ca[i + 1] + dy);
        if (y1 <= y0) {
          continue;
        }
        while (j < cb.length && cb[j + 1] <= y0) {
          j += 2;
        }
        for (int k = j; k < cb.length && cb[k] < y1; k += 2) {
          inter += Math.min(y1, cb[k + 1]) - Math.max(y0, cb[k]);
        }
      }
    }
    long union = areaA + areaB - inter;
    return union <= 0 ? 0 : (double) inter / union;
  }

  /** Pixels of {@code c} moved by {@code (dx, dy)} that stay inside the mask's frame. */
  private static long area(Columns c, int dx, int dy) {
    long area = 0;
    int height = c.height();
    for (int i = 0; i < c.runs().length; i++) {
      int x = c.x0() + i + dx;
      if (x < 0 || x >= c.width()) {
        continue;
      }
      int[] col = c.runs()[i];
      for (int r = 0; r < col.length; r += 2) {
        area += Math.max(0, Math.min(height, col[r + 1] + dy) - Math.max(0, col[r] + dy));
      }
    }
    return area;
  }

  private static void checkCrowd(int gtCount, boolean[] iscrowd) {
    if (iscrowd != null && iscrowd.length != gtCount) {
      throw new IllegalArgumentException(
          "iscrowd has " + iscrowd.length + " flags for " + gtCount + " ground truths");
    }
  }
}
