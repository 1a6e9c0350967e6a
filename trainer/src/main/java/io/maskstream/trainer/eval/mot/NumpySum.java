package io.maskstream.trainer.eval.mot;

/**
 * Sums doubles in the order NumPy's {@code np.sum} adds them, so that the figures derived from sums
 * round as TrackEval's do: pairwise summation (8 running sums up to 128 numbers, halving above)
 * within blocks of 8192 numbers (NumPy's buffer), the blocks added one after the other. Stateless.
 */
final class NumpySum {
  private static final int BUFFER = 8192;
  private static final int BLOCK = 128;

  private NumpySum() {}

  /** {@code np.sum(values)} of a contiguous array. */
  static double sum(double[] values) {
    double total = 0.0;
    for (int start = 0; start < values.length; start += BUFFER) {
      total += pairwise(values, start, Math.min(BUFFER, values.length - start));
    }
    return total;
  }

  /** {@code np.mean(values)}. */
  static double mean(double[] values) {
    return sum(values) / values.length;
  }

  private static double pairwise(double[] a, int from, int n) {
    if (n < 8) {
      double res = 0.0;
      for (int i = 0; i < n; i++) {
        res += a[from + i];
      }
      return res;
    }
    if (n <= BLOCK) {
      double[] r = new double[8];
      System.arraycopy(a, from, r, 0, 8);
      int i = 8;
      for (; i < n - (n % 8); i += 8) {
        for (int k = 0; k < 8; k++) {
          r[k] += a[from + i + k];
        }
      }
      double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
      for (; i < n; i++) {
        res += a[from + i];
      }
      return res;
    }
    int n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise(a, from, n2) + pairwise(a, from + n2, n - n2);
  }
}
