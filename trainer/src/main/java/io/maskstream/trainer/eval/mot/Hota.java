package io.maskstream.trainer.eval.mot;

import io.maskstream.schemas.match.LinearAssignment;
import java.util.Arrays;
import java.util.List;

/**
 * HOTA (Luiten et al. 2021) as TrackEval's {@code metrics/hota.py} computes it. Ids are first
 * scored globally: a pair of ground-truth and tracker id gets the Jaccard overlap of their tracks,
 * where each frame contributes its IoU normalised by the other boxes competing for the pair. Each
 * frame is then matched once, maximising that score times the IoU, and the matching is cut at each
 * localisation threshold alpha = 0.05, 0.10, ..., 0.95: detection accuracy (DetA), association
 * accuracy (AssA, the Jaccard overlap of matched tracks, averaged over matches), localisation
 * (LocA, mean IoU of matches) and HOTA = sqrt(DetA * AssA) per alpha, averaged over the alphas for
 * the headline figures. Stateless.
 */
final class Hota {
  private static final double EPS = Math.ulp(1.0);

  /** The thresholds as NumPy's {@code np.arange(0.05, 0.99, 0.05)} has them (0.05 + i * 0.05). */
  static final double[] ALPHAS = new double[19];

  static {
    for (int i = 0; i < ALPHAS.length; i++) {
      ALPHAS[i] = 0.05 + i * 0.05;
    }
  }

  private Hota() {}

  /**
   * The per-alpha results of one sequence, or of several combined; the arrays are owned by the
   * record and not changed.
   *
   * @param tp true positives per alpha
   * @param fn false negatives per alpha
   * @param fp false positives per alpha
   * @param assA association accuracy per alpha
   * @param assRe association recall per alpha
   * @param assPr association precision per alpha
   * @param locA localisation accuracy per alpha
   */
  record Counts(
      double[] tp,
      double[] fn,
      double[] fp,
      double[] assA,
      double[] assRe,
      double[] assPr,
      double[] locA) {

    /** TrackEval's {@code combine_sequences}: sums, and averages weighted by true positives. */
    static Counts combine(List<Counts> all) {
      int a = ALPHAS.length;
      double[] tp = new double[a];
      double[] fn = new double[a];
      double[] fp = new double[a];
      double[] assA = new double[a];
      double[] assRe = new double[a];
      double[] assPr = new double[a];
      double[] loc = new double[a];
      for (Counts c : all) {
        for (int k = 0; k < a; k++) {
          tp[k] += c.tp[k];
          fn[k] += c.fn[k];
          fp[k] += c.fp[k];
          assRe[k] += c.assRe[k] * c.tp[k];
          assPr[k] += c.assPr[k] * c.tp[k];
          assA[k] += c.assA[k] * c.tp[k];
          loc[k] += c.locA[k] * c.tp[k];
        }
      }
      for (int k = 0; k < a; k++) {
        assRe[k] /= Math.max(1.0, tp[k]);
        assPr[k] /= Math.max(1.0, tp[k]);
        assA[k] /= Math.max(1.0, tp[k]);
        loc[k] = Math.max(1e-10, loc[k]) / Math.max(1e-10, tp[k]);
      }
      return new Counts(tp, fn, fp, assA, assRe, assPr, loc);
    }

    double[] detRe() {
      double[] out = new double[tp.length];
      for (int k = 0; k < out.length; k++) {
        out[k] = tp[k] / Math.max(1, tp[k] + fn[k]);
      }
      return out;
    }

    double[] detPr() {
      double[] out = new double[tp.length];
      for (int k = 0; k < out.length; k++) {
        out[k] = tp[k] / Math.max(1, tp[k] + fp[k]);
      }
      return out;
    }

    double[] detA() {
      double[] out = new double[tp.length];
      for (int k = 0; k < out.length; k++) {
        out[k] = tp[k] / Math.max(1, tp[k] + fn[k] + fp[k]);
      }
      return out;
    }

    double[] hota() {
      double[] det = detA();
      double[] out = new double[tp.length];
      for (int k = 0; k < out.length; k++) {
        out[k] = Math.sqrt(det[k] * assA[k]);
      }
      return out;
    }
  }

  static Counts evaluate(SequenceData data) {
    int a = ALPHAS.length;
    double[] tp = new double[a];
    double[] fn = new double[a];
    double[] fp = new double[a];
    double[] assA = new double[a];
    double[] assRe = new double[a];
    double[] assPr = new double[a];
    double[] locA = new double[a];
    if (data.numTrackerDets == 0 || data.numGtDets == 0) {
      Arrays.fill(
          data.numTrackerDets == 0 ? fn : fp, Math.max(data.numGtDets, data.numTrackerDets));
      Arrays.fill(locA, 1.0);
      return new Counts(tp, fn, fp, assA, assRe, assPr, locA);
    }
    int ng = data.numGtIds;
    int nt = data.numTrackerIds;
    double[][] potential = new double[ng][nt];
    double[] gtIdCount = new double[ng];
    double[] trackerIdCount = new double[nt];
    for (int t = 0; t < data.frames(); t++) {
      int[] gtIds = data.gtIds[t];
      int[] trIds = data.trackerIds[t];
      double[][] sim = data.similarity[t];
      double[] colSum = new double[trIds.length];
      for (double[] row : sim) {
        for (int j = 0; j < trIds.length; j++) {
          colSum[j] += row[j];
        }
      }
      for (int i = 0; i < gtIds.length; i++) {
        double rowSum = NumpySum.sum(sim[i]);
        for (int j = 0; j < trIds.length; j++) {
          double denom = colSum[j] + rowSum - sim[i][j];
          double simIou = denom > 0 + EPS ? sim[i][j] / denom : 0;
          potential[gtIds[i]][trIds[j]] += simIou;
        }
      }
      for (int g : gtIds) {
        gtIdCount[g]++;
      }
      for (int tr : trIds) {
        trackerIdCount[tr]++;
      }
    }
    double[][] alignment = new double[ng][nt];
    for (int g = 0; g < ng; g++) {
      for (int tr = 0; tr < nt; tr++) {
        alignment[g][tr] =
            potential[g][tr] / (gtIdCount[g] + trackerIdCount[tr] - potential[g][tr]);
      }
    }
    double[][][] matchesCounts = new double[a][ng][nt];
    for (int t = 0; t < data.frames(); t++) {
      int[] gtIds = data.gtIds[t];
      int[] trIds = data.trackerIds[t];
      if (gtIds.length == 0) {
        for (int k = 0; k < a; k++) {
          fp[k] += trIds.length;
        }
        continue;
      }
      if (trIds.length == 0) {
        for (int k = 0; k < a; k++) {
          fn[k] += gtIds.length;
        }
        continue;
      }
      double[][] sim = data.similarity[t];
      double[][] cost = new double[gtIds.length][trIds.length];
      for (int i = 0; i < gtIds.length; i++) {
        for (int j = 0; j < trIds.length; j++) {
          cost[i][j] = -(alignment[gtIds[i]][trIds[j]] * sim[i][j]);
        }
      }
      int[][] match = LinearAssignment.solve(cost);
      int[] rows = match[0];
      int[] cols = match[1];
      for (int k = 0; k < a; k++) {
        int matched = 0;
        double frameSum = 0; // Python's sum(): from 0, in match order
        for (int m = 0; m < rows.length; m++) {
          double s = sim[rows[m]][cols[m]];
          if (s >= ALPHAS[k] - EPS) {
            matched++;
            frameSum += s;
            matchesCounts[k][gtIds[rows[m]]][trIds[cols[m]]]++;
          }
        }
        tp[k] += matched;
        fn[k] += gtIds.length - matched;
        fp[k] += trIds.length - matched;
        if (matched > 0) {
          locA[k] += frameSum;
        }
      }
    }
    for (int k = 0; k < a; k++) {
      double[][] mc = matchesCounts[k];
      double[] weightedA = new double[ng * nt];
      double[] weightedRe = new double[ng * nt];
      double[] weightedPr = new double[ng * nt];
      for (int g = 0; g < ng; g++) {
        for (int tr = 0; tr < nt; tr++) {
          double m = mc[g][tr];
          double jaccard = m / Math.max(1, gtIdCount[g] + trackerIdCount[tr] - m);
          weightedA[g * nt + tr] = m * jaccard;
          weightedRe[g * nt + tr] = m * (m / Math.max(1, gtIdCount[g]));
          weightedPr[g * nt + tr] = m * (m / Math.max(1, trackerIdCount[tr]));
        }
      }
      assA[k] = NumpySum.sum(weightedA) / Math.max(1, tp[k]);
      assRe[k] = NumpySum.sum(weightedRe) / Math.max(1, tp[k]);
      assPr[k] = NumpySum.sum(weightedPr) / Math.max(1, tp[k]);
      locA[k] = Math.max(1e-10, locA[k]) / Math.max(1e-10, tp[k]);
    }
    return new Counts(tp, fn, fp, assA, assRe, assPr, locA);
  }
}
