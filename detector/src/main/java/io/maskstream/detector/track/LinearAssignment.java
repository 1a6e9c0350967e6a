package io.maskstream.detector.track;

import java.util.Arrays;

/**
 * Minimum-cost assignment of rows to columns with a cost limit, as ByteTrack's {@code
 * linear_assignment} (LAPJV with {@code extend_cost} and {@code cost_limit}): a pair is matched
 * only if that beats leaving both unmatched, so the result minimises the sum of {@code cost -
 * limit} over the matched pairs, and no pair costs {@code limit} or more.
 *
 * <p>Solved with the Hungarian algorithm on the rectangular matrix (shortest augmenting paths with
 * potentials, O(rows^2 x columns)), written out here because the JVM's graph libraries (JGraphT's
 * Kuhn-Munkres) need a complete bipartite graph of objects built every frame, which alone takes
 * longer than a tracker's frame budget at 50 objects; this works on the cost array. Deterministic:
 * ties go to the lower index. Stateless.
 */
final class LinearAssignment {
  private LinearAssignment() {}

  /**
   * The matched column of each row, -1 for none.
   *
   * @param cost {@code cost[row][column]}, rows of equal length; NaN or infinite entries never
   *     match
   * @param limit pairs costing this or more stay unmatched
   */
  static int[] solve(double[][] cost, double limit) {
    int rows = cost.length;
    int cols = rows == 0 ? 0 : cost[0].length;
    int[] match = new int[rows];
    Arrays.fill(match, -1);
    if (rows == 0 || cols == 0) {
      return match;
    }
    boolean transpose = rows > cols;
    int n = transpose ? cols : rows; // the smaller side, assigned completely
    int m = transpose ? rows : cols;
    // gain of matching over leaving both alone; pairs that do not gain cost 0 like "unmatched"
    double[][] a = new double[n + 1][m + 1];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < m; j++) {
        double c = transpose ? cost[j][i] : cost[i][j];
        a[i + 1][j + 1] = Double.isFinite(c) && c < limit ? c - limit : 0;
      }
    }
    int[] colOwner = hungarian(a, n, m);
    for (int j = 1; j <= m; j++) {
      int i = colOwner[j];
      if (i == 0) {
        continue;
      }
      int row = transpose ? j - 1 : i - 1;
      int col = transpose ? i - 1 : j - 1;
      double c = cost[row][col];
      if (Double.isFinite(c) && c < limit) {
        match[row] = col;
      }
    }
    return match;
  }

  /**
   * The classic O(n^2 m) Hungarian algorithm for n <= m on 1-based {@code a}: returns, for each
   * column 1..m, the row assigned to it (0 for none).
   */
  private static int[] hungarian(double[][] a, int n, int m) {
    double[] u = new double[n + 1];
    double[] v = new double[m + 1];
    int[] p = new int[m + 1];
    int[] way = new int[m + 1];
    double[] minv = new double[m + 1];
    boolean[] used = new boolean[m + 1];
    for (int i = 1; i <= n; i++) {
      p[0] = i;
      int j0 = 0;
      Arrays.fill(minv, Double.POSITIVE_INFINITY);
      Arrays.fill(used, false);
      do {
        used[j0] = true;
        int i0 = p[j0];
        double delta = Double.POSITIVE_INFINITY;
        int j1 = 0;
        for (int j = 1; j <= m; j++) {
          if (!used[j]) {
            double cur = a[i0][j] - u[i0] - v[j];
            if (cur < minv[j]) {
              minv[j] = cur;
              way[j] = j0;
            }
            if (minv[j] < delta) {
              delta = minv[j];
              j1 = j;
            }
          }
        }
        for (int j = 0; j <= m; j++) {
          if (used[j]) {
            u[p[j]] += delta;
            v[j] -= delta;
          } else {
            minv[j] -= delta;
          }
        }
        j0 = j1;
      } while (p[j0] != 0);
      do {
        int j1 = way[j0];
        p[j0] = p[j1];
        j0 = j1;
      } while (j0 != 0);
    }
    return p;
  }
}
