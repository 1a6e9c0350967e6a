package io.maskstream.trainer.shapes;

import java.awt.Shape;
import java.awt.geom.PathIterator;
import java.util.List;

/**
 * The keypoints of a shape in the generated keypoint datasets: its four extreme points (topmost,
 * rightmost, bottommost, leftmost point of the outline; the middle of a flat extreme edge), each in
 * COCO's {@code [x, y, v]} form: {@code v} 1 when an object in front covers the point's pixel and
 * the object itself none of the pixels around it (hidden), 2 otherwise inside the image (a sharp
 * tip thinner than a pixel is visible though no pixel of it is drawn), and {@code [0, 0, 0]} when
 * the point is outside the image. Every class has the same four keypoints, so one keypoint head
 * serves them all; a horizontal flip swaps right and left. Stateless.
 */
public final class ShapeKeypoints {
  /** The keypoint names, in order. */
  public static final List<String> NAMES = List.of("top", "right", "bottom", "left");

  /** The skeleton, as COCO's 1-based pairs of keypoints: the outline's diamond. */
  public static final List<List<Integer>> SKELETON =
      List.of(List.of(1, 2), List.of(2, 3), List.of(3, 4), List.of(4, 1));

  /** The pairs of keypoint names a horizontal flip swaps. */
  public static final List<List<String>> FLIP_MAP = List.of(List.of("right", "left"));

  private static final double FLATNESS = 0.05;
  private static final double TIE = 1e-6;
  private static final boolean[] SMALLEST = {true, false, false, true};

  private ShapeKeypoints() {}

  /**
   * The extreme points {@code {topX, topY, rightX, rightY, bottomX, bottomY, leftX, leftY}} of an
   * outline (curves flattened to within 0.05 px).
   */
  static double[] extremes(Shape outline) {
    // per direction: the extreme coordinate, and the sum and count of the other coordinate of the
    // points within TIE of it, to take the middle of a flat edge
    double[] extreme = {
      Double.POSITIVE_INFINITY,
      Double.NEGATIVE_INFINITY,
      Double.NEGATIVE_INFINITY,
      Double.POSITIVE_INFINITY
    };
    double[] sum = new double[4];
    int[] count = new int[4];
    double[] c = new double[6];
    for (PathIterator it = outline.getPathIterator(null, FLATNESS); !it.isDone(); it.next()) {
      if (it.currentSegment(c) == PathIterator.SEG_CLOSE) {
        continue;
      }
      double x = c[0];
      double y = c[1];
      // top: smallest y; right: largest x; bottom: largest y; left: smallest x
      double[] along = {y, x, y, x};
      double[] across = {x, y, x, y};
      for (int d = 0; d < 4; d++) {
        boolean better = SMALLEST[d] ? along[d] < extreme[d] - TIE : along[d] > extreme[d] + TIE;
        if (better) {
          extreme[d] = along[d];
          sum[d] = across[d];
          count[d] = 1;
        } else if (Math.abs(along[d] - extreme[d]) <= TIE) {
          sum[d] += across[d];
          count[d]++;
        }
      }
    }
    // the middle of the points on each extreme (a flat edge's middle)
    return new double[] {
      sum[0] / count[0],
      extreme[0],
      extreme[1],
      sum[1] / count[1],
      sum[2] / count[2],
      extreme[2],
      extreme[3],
      sum[3] / count[3]
    };
  }

  /**
   * The keypoints {@code [x1, y1, v1, ...]} of the object drawn from {@code outline}, whose pixels
   * are those with value {@code owner} in {@code owners} (row-major {@code width x height}, the
   * index of the object each pixel shows).
   */
  static double[] keypoints(Shape outline, int[] owners, int owner, int width, int height) {
    double[] points = extremes(outline);
    double[] out = new double[3 * NAMES.size()];
    for (int k = 0; k < NAMES.size(); k++) {
      double x = points[2 * k];
      double y = points[2 * k + 1];
      if (x < 0 || y < 0 || x >= width || y >= height) {
        continue; // outside the image: [0, 0, 0]
      }
      out[3 * k] = x;
      out[3 * k + 1] = y;
      int px = (int) x;
      int py = (int) y;
      int there = owners[py * width + px] & 0xffffff;
      boolean hidden =
          there != 0 && there != owner && !covers(owners, owner, px, py, width, height);
      out[3 * k + 2] = hidden ? 1 : 2;
    }
    return out;
  }

  /** Whether the object covers a pixel of the 3 x 3 around {@code (px, py)}. */
  private static boolean covers(int[] owners, int owner, int px, int py, int width, int height) {
    for (int y = Math.max(0, py - 1); y <= Math.min(height - 1, py + 1); y++) {
      for (int x = Math.max(0, px - 1); x <= Math.min(width - 1, px + 1); x++) {
        if ((owners[y * width + x] & 0xffffff) == owner) {
          return true;
        }
      }
    }
    return false;
  }
}
