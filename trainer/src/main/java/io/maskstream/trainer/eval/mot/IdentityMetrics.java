package io.maskstream.trainer.eval.mot;

import io.maskstream.schemas.match.LinearAssignment;
import java.util.List;

/**
 * The identity metrics IDF1, IDP and IDR (Ristani et al. 2016) as TrackEval's {@code
 * metrics/identity.py} computes them: one global matching of ground-truth ids to tracker ids (each
 * to at most one) that minimises ID false negatives plus ID false positives, where a pair's boxes
 * agree in a frame at IoU 0.5 or more. Stateless.
 */
final class IdentityMetrics {
  static final double THRESHOLD = 0.5;
  private static final double UNMATCHABLE = 1e10;

  private IdentityMetrics() {}

  /**
   * The summable counts of one sequence, or of several added up.
   *
   * @param idtp boxes whose object and tracker id are matched to each other
   * @param idfn ground-truth boxes that are not
   * @param idfp tracker boxes that are not
   */
  record Counts(long idtp, long idfn, long idfp) {
    static Counts sum(List<Counts> all) {
      long tp = 0;
      long fn = 0;
      long fp = 0;
      for (Counts c : all) {
        tp += c.idtp;
        fn += c.idfn;
        fp += c.idfp;
      }
      return new Counts(tp, fn, fp);
    }

    double idr() {
      return idtp / Math.max(1.0, idtp + idfn);
    }

    double idp() {
      return idtp / Math.max(1.0, idtp + idfp);
    }

    double idf1() {
      return idtp / Math.max(1.0, idtp + 0.5 * idfp + 0.5 * idfn);
    }
  }

  static Counts evaluate(SequenceData data) {
    if (data.numTrackerDets == 0) {
      return new Counts(0, data.numGtDets, 0);
    }
    if (data.numGtDets == 0) {
      return new Counts(0, 0, data.numTrackerDets);
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
      for (int i = 0; i < gtIds.length; i++) {
        for (int j = 0; j < trIds.length; j++) {
          if (sim[i][j] >= THRESHOLD) {
            potential[gtIds[i]][trIds[j]]++;
          }
        }
      }
      for (int g : gtIds) {
        gtIdCount[g]++;
      }
      for (int tr : trIds) {
        trackerIdCount[tr]++;
      }
    }
    // rows: objects, then one "unmatched" row per tracker id; columns: tracker ids, then one
    // "unmatched" column per object
    int n = ng + nt;
    double[][] fn = new double[n][n];
    double[][] fp = new double[n][n];
    for (int i = ng; i < n; i++) {
      for (int j = 0; j < nt; j++) {
        fp[i][j] = UNMATCHABLE;
      }
    }
    for (int i = 0; i < ng; i++) {
      for (int j = nt; j < n; j++) {
        fn[i][j] = UNMATCHABLE;
      }
    }
    for (int g = 0; g < ng; g++) {
      for (int j = 0; j < nt; j++) {
        fn[g][j] = gtIdCount[g];
      }
      fn[g][nt + g] = gtIdCount[g];
    }
    for (int tr = 0; tr < nt; tr++) {
      for (int i = 0; i < ng; i++) {
        fp[i][tr] = trackerIdCount[tr];
      }
      fp[tr + ng][tr] = trackerIdCount[tr];
    }
    double[][] cost = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        if (i < ng && j < nt) {
          fn[i][j] -= potential[i][j];
          fp[i][j] -= potential[i][j];
        }
        cost[i][j] = fn[i][j] + fp[i][j];
      }
    }
    int[][] match = LinearAssignment.solve(cost);
    double idfn = 0;
    double idfp = 0;
    for (int k = 0; k < match[0].length; k++) {
      idfn += fn[match[0][k]][match[1][k]];
      idfp += fp[match[0][k]][match[1][k]];
    }
    double gtTotal = 0;
    for (double c : gtIdCount) {
      gtTotal += c;
    }
    // whole numbers well below 2^53: any order of addition gives the same sums
    return new Counts((long) (gtTotal - idfn), (long) idfn, (long) idfp);
  }
}
