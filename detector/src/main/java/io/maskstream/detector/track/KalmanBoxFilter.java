package io.maskstream.detector.track;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.CholeskyDecomposition;
import org.apache.commons.math3.linear.MatrixUtils;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.RealVector;

/**
 * The constant-velocity Kalman filter of SORT and ByteTrack on a box: state {@code [cx, cy, a, h,
 * vcx, vcy, va, vh]} (centre, aspect ratio w/h, height and their velocities per frame), measurement
 * {@code [cx, cy, a, h]}. Process and measurement noise scale with the box height (position weight
 * 1/20, velocity weight 1/160), as ByteTrack's {@code KalmanFilter} does, so the filter behaves the
 * same at any resolution. Stateless: every step takes and returns a {@link Estimate}.
 */
public final class KalmanBoxFilter {
  static final double POSITION_WEIGHT = 1.0 / 20;
  static final double VELOCITY_WEIGHT = 1.0 / 160;
  private static final RealMatrix MOTION;
  private static final RealMatrix PROJECTION;

  static {
    MOTION = MatrixUtils.createRealIdentityMatrix(8);
    PROJECTION = new Array2DRowRealMatrix(4, 8);
    for (int i = 0; i < 4; i++) {
      MOTION.setEntry(i, 4 + i, 1);
      PROJECTION.setEntry(i, i, 1);
    }
  }

  private KalmanBoxFilter() {}

  /**
   * A state and its covariance. Immutable by convention: the arrays are never modified.
   *
   * @param mean 8 values
   * @param covariance 8 x 8 values, row-major
   */
  public record Estimate(double[] mean, double[] covariance) {
    /** The box {@code [x1, y1, x2, y2]} of the state. */
    public double[] box() {
      double w = mean[2] * mean[3];
      double h = mean[3];
      return new double[] {mean[0] - w / 2, mean[1] - h / 2, mean[0] + w / 2, mean[1] + h / 2};
    }
  }

  /** {@code [x1, y1, x2, y2]} as {@code [cx, cy, a, h]}. */
  static double[] measurement(double[] box) {
    double w = box[2] - box[0];
    double h = Math.max(box[3] - box[1], 1e-6);
    return new double[] {box[0] + w / 2, box[1] + h / 2, w / h, h};
  }

  /** A new track's estimate from its first box: no velocity, uncertain in proportion to h. */
  static Estimate initiate(double[] box) {
    double[] z = measurement(box);
    double h = z[3];
    double[] std = {
      2 * POSITION_WEIGHT * h,
      2 * POSITION_WEIGHT * h,
      1e-2,
      2 * POSITION_WEIGHT * h,
      10 * VELOCITY_WEIGHT * h,
      10 * VELOCITY_WEIGHT * h,
      1e-5,
      10 * VELOCITY_WEIGHT * h
    };
    double[] mean = new double[8];
    System.arraycopy(z, 0, mean, 0, 4);
    return new Estimate(mean, flat(diagonalSquares(std)));
  }

  /**
   * The estimate one frame later.
   *
   * @param keepHeightVelocity false for a track that is not being tracked (lost): its height
   *     velocity is zeroed first, as ByteTrack's {@code multi_predict} does
   */
  static Estimate predict(Estimate e, boolean keepHeightVelocity) {
    double[] m = e.mean().clone();
    if (!keepHeightVelocity) {
      m[7] = 0;
    }
    double h = m[3];
    double[] std = {
      POSITION_WEIGHT * h,
      POSITION_WEIGHT * h,
      1e-2,
      POSITION_WEIGHT * h,
      VELOCITY_WEIGHT * h,
      VELOCITY_WEIGHT * h,
      1e-5,
      VELOCITY_WEIGHT * h
    };
    RealVector mean = MOTION.operate(new ArrayRealVector(m, false));
    RealMatrix cov =
        MOTION
            .multiply(matrix(e.covariance(), 8))
            .multiply(MOTION.transpose())
            .add(diagonalSquares(std));
    return new Estimate(mean.toArray(), flat(cov));
  }

  /** The estimate corrected by a measured box {@code [x1, y1, x2, y2]}. */
  static Estimate update(Estimate e, double[] box) {
    RealVector mean = new ArrayRealVector(e.mean(), false);
    RealMatrix cov = matrix(e.covariance(), 8);
    double h = e.mean()[3];
    double[] std = {POSITION_WEIGHT * h, POSITION_WEIGHT * h, 1e-1, POSITION_WEIGHT * h};
    RealMatrix projectedCov =
        PROJECTION.multiply(cov).multiply(PROJECTION.transpose()).add(diagonalSquares(std));
    RealMatrix crossCov = cov.multiply(PROJECTION.transpose()); // 8 x 4
    // gain = crossCov * projectedCov^-1, solved through the Cholesky factor as ByteTrack does
    RealMatrix gain =
        new CholeskyDecomposition(projectedCov, 1e-12, 1e-12)
            .getSolver()
            .solve(crossCov.transpose())
            .transpose();
    RealVector innovation =
        new ArrayRealVector(measurement(box), false).subtract(PROJECTION.operate(mean));
    RealVector newMean = mean.add(gain.operate(innovation));
    RealMatrix newCov = cov.subtract(gain.multiply(projectedCov).multiply(gain.transpose()));
    return new Estimate(newMean.toArray(), flat(newCov));
  }

  private static RealMatrix diagonalSquares(double[] std) {
    double[] d = new double[std.length];
    for (int i = 0; i < std.length; i++) {
      d[i] = std[i] * std[i];
    }
    return MatrixUtils.createRealDiagonalMatrix(d);
  }

  private static RealMatrix matrix(double[] flat, int n) {
    double[][] rows = new double[n][n];
    for (int i = 0; i < n; i++) {
      System.arraycopy(flat, i * n, rows[i], 0, n);
    }
    return new Array2DRowRealMatrix(rows, false);
  }

  private static double[] flat(RealMatrix m) {
    int n = m.getRowDimension();
    double[] out = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        out[i * n + j] = m.getEntry(i, j);
      }
    }
    return out;
  }
}
