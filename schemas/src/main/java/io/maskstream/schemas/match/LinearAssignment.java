package io.maskstream.schemas.match;

import java.util.Arrays;

/**
 * The linear sum assignment (minimum-cost matching of rows to columns) as SciPy's {@code
 * scipy.optimize.linear_sum_assignment} solves it: the shortest augmenting path algorithm of Crouse
 * (2016), step for step as SciPy's {@code rectangular_lsap.cpp} (SciPy 1.4 onwards).
 *
 * <p>Written here rather than taken from a library: nothing on Maven Central follows SciPy's
 * algorithm, and TrackEval's figures depend on which optimal assignment is picked when several are
 * equally good (equal boxes, equal similarities). Another solver would give an equally optimal but
 * different matching there, and so different MOTA, ID switches or HOTA. Following SciPy's order of
 * rows, its reversed column scan and its tie rule (prefer a free column) gives the same matching
 * bit for bit; {@code LinearAssignmentTest} checks it against SciPy's answers. The tracking metrics
 * and the tracker both match with it. Stateless.
 */
public final class LinearAssignment {
  private LinearAssignment() {}

  /**
   * Solves the assignment of {@code cost} (rows x columns, rectangular allowed).
   *
   * @return {@code {rows, cols}}: matched pairs ordered by row, {@code min(rows, columns)} of them
   * @throws IllegalArgumentException if a cost is NaN or -infinity, or no finite assignment exists
   */
  public static int[][] solve(double[][] cost) {
    int nr = cost.length;
    int nc = nr == 0 ? 0 : cost[0].length;
    if (nr == 0 || nc == 0) {
      return new int[][] {new int[0], new int[0]};
    }
    boolean transpose = nc < nr;
    double[] c;
    if (transpose) {
      c = new double[nr * nc];
      for (int i = 0; i < nr; i++) {
        for (int j = 0; j < nc; j++) {
          c[j * nr + i] = cost[i][j];
        }
      }
      int swap = nr;
      nr = nc;
      nc = swap;
    } else {
      c = new double[nr * nc];
      for (int i = 0; i < nr; i++) {
        System.arraycopy(cost[i], 0, c, i * nc, nc);
      }
    }
    for (double v : c) {
      if (Double.isNaN(v) || v == Double.NEGATIVE_INFINITY) {
        throw new IllegalArgumentException("cost matrix contains NaN or -infinity");
      }
    }
    int[] col4row = solveWide(nr, nc, c);
    int[] rows = new int[nr];
    int[] cols = new int[nr];
    if (transpose) {
      // back to the caller's orientation, ordered by the caller's row (the solver's column)
      Integer[] order = new Integer[nr];
      for (int i = 0; i < nr; i++) {
        order[i] = i;
      }
      Arrays.sort(order, (a, b) -> Integer.compare(col4row[a], col4row[b]));
      for (int k = 0; k < nr; k++) {
        rows[k] = col4row[order[k]];
        cols[k] = order[k];
      }
    } else {
      for (int i = 0; i < nr; i++) {
        rows[i] = i;
        cols[i] = col4row[i];
      }
    }
    return new int[][] {rows, cols};
  }

  /**
   * The matched column of each row with a cost limit, as ByteTrack's {@code linear_assignment}
   * (LAPJV with {@code extend_cost} and {@code cost_limit}): a pair is matched only if that beats
   * leaving both unmatched, so the matching minimises the sum of {@code cost - limit} over its
   * pairs, and no pair costs {@code limit} or more. Solved as the full assignment of {@code
   * min(cost - limit, 0)}, whose zero pairs are no match.
   *
   * @param cost {@code cost[row][column]}; NaN or infinite entries never match
   * @return the column of each row, -1 for none
   */
  public static int[] solve(double[][] cost, double limit) {
    int rows = cost.length;
    int[] match = new int[rows];
    Arrays.fill(match, -1);
    if (rows == 0 || cost[0].length == 0) {
      return match;
    }
    double[][] gain = new double[rows][cost[0].length];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < gain[i].length; j++) {
        double c = cost[i][j];
        gain[i][j] = Double.isFinite(c) && c < limit ? c - limit : 0;
      }
    }
    int[][] pairs = solve(gain);
    for (int k = 0; k < pairs[0].length; k++) {
      int i = pairs[0][k];
      int j = pairs[1][k];
      double c = cost[i][j];
      if (Double.isFinite(c) && c < limit) {
        match[i] = j;
      }
    }
    return match;
  }

  /** Rows no more than columns: the column of each row. */
  private static int[] solveWide(int nr, int nc, double[] cost) {
    double[] u = new double[nr];
    double[] v = new double[nc];
    double[] shortestPathCosts = new double[nc];
    int[] path = new int[nc];
    Arrays.fill(path, -1);
    int[] col4row = new int[nr];
    Arrays.fill(col4row, -1);
    int[] row4col = new int[nc];
    Arrays.fill(row4col, -1);
    boolean[] sr = new boolean[nr];
    boolean[] sc = new boolean[nc];
    int[] remaining = new int[nc];
    double[] minVal = new double[1];
    for (int curRow = 0; curRow < nr; curRow++) {
      int sink =
          augmentingPath(
              nc, cost, u, v, path, row4col, shortestPathCosts, curRow, sr, sc, remaining, minVal);
      if (sink < 0) {
        throw new IllegalArgumentException("cost matrix is infeasible");
      }
      double min = minVal[0];
      u[curRow] += min;
      for (int i = 0; i < nr; i++) {
        if (sr[i] && i != curRow) {
          u[i] += min - shortestPathCosts[col4row[i]];
        }
      }
      for (int j = 0; j < nc; j++) {
        if (sc[j]) {
          v[j] -= min - shortestPathCosts[j];
        }
      }
      int j = sink;
      while (true) {
        int i = path[j];
        row4col[j] = i;
        int swap = col4row[i];
        col4row[i] = j;
        j = swap;
        if (i == curRow) {
          break;
        }
      }
    }
    return col4row;
  }

  private static int augmentingPath(
      int nc,
      double[] cost,
      double[] u,
      double[] v,
      int[] path,
      int[] row4col,
      double[] shortestPathCosts,
      int i,
      boolean[] sr,
      boolean[] sc,
      int[] remaining,
      double[] minValOut) {
    double minVal = 0;
    int numRemaining = nc;
    for (int it = 0; it < nc; it++) {
      // reversed, as SciPy does, so that a constant cost matrix gives the identity
      remaining[it] = nc - it - 1;
    }
    Arrays.fill(sr, false);
    Arrays.fill(sc, false);
    Arrays.fill(shortestPathCosts, Double.POSITIVE_INFINITY);
    int sink = -1;
    while (sink == -1) {
      int index = -1;
      double lowest = Double.POSITIVE_INFINITY;
      sr[i] = true;
      for (int it = 0; it < numRemaining; it++) {
        int j = remaining[it];
        double r = minVal + cost[i * nc + j] - u[i] - v[j];
        if (r < shortestPathCosts[j]) {
          path[j] = i;
          shortestPathCosts[j] = r;
        }
        // among equally short paths, one that ends at a free column
        if (shortestPathCosts[j] < lowest || (shortestPathCosts[j] == lowest && row4col[j] == -1)) {
          lowest = shortestPathCosts[j];
          index = it;
        }
      }
      minVal = lowest;
      if (minVal == Double.POSITIVE_INFINITY) {
        return -1;
      }
      int j = remaining[index];
      if (row4col[j] == -1) {
        sink = j;
      } else {
        i = row4col[j];
      }
      sc[j] = true;
      remaining[index] = remaining[--numRemaining];
    }
    minValOut[0] = minVal;
    return sink;
  }
}
