package io.maskstream.trainer.eval.mot;

import io.maskstream.schemas.match.LinearAssignment;
import java.util.Arrays;
import java.util.List;

/**
 * CLEAR MOT (Bernardin and Stiefelhagen 2008) as TrackEval's {@code metrics/clear.py} computes it:
 * per frame a matching at IoU 0.5 that keeps last frame's pairs first (score 1000 + IoU) and
 * maximises IoU next; ID switches against the last tracker id each object had, however long ago;
 * fragmentations, and mostly tracked / partly tracked / mostly lost at 80% and 20% of an object's
 * frames. A frame without tracker boxes (or without ground truth) leaves last frame's pairs in
 * place, as TrackEval does. Stateless.
 */
final class ClearMot {
  static final double THRESHOLD = 0.5;
  private static final double EPS = Math.ulp(1.0);

  private ClearMot() {}

  /**
   * The summable counts of one sequence, or of several added up.
   *
   * @param tp matched ground-truth boxes
   * @param fn unmatched ground-truth boxes
   * @param fp unmatched tracker boxes
   * @param idsw identity switches
   * @param mt mostly tracked objects
   * @param pt partly tracked objects
   * @param ml mostly lost objects
   * @param frag fragmentations
   * @param motpSum IoU summed over matches
   * @param noGroundTruth TrackEval reports a sequence without ground truth with zero MOTA, MODA and
   *     MOTP (combined figures count its false positives)
   */
  record Counts(
      long tp,
      long fn,
      long fp,
      long idsw,
      long mt,
      long pt,
      long ml,
      long frag,
      double motpSum,
      boolean noGroundTruth) {

    /** TrackEval's {@code combine_sequences}: sums, in sequence order. */
    static Counts sum(List<Counts> all) {
      long tp = 0;
      long fn = 0;
      long fp = 0;
      long idsw = 0;
      long mt = 0;
      long pt = 0;
      long ml = 0;
      long frag = 0;
      double motp = 0;
      for (Counts c : all) {
        tp += c.tp;
        fn += c.fn;
        fp += c.fp;
        idsw += c.idsw;
        mt += c.mt;
        pt += c.pt;
        ml += c.ml;
        frag += c.frag;
        motp += c.motpSum;
      }
      return new Counts(tp, fn, fp, idsw, mt, pt, ml, frag, motp, false);
    }

    double mota() {
      return noGroundTruth ? 0 : (double) (tp - fp - idsw) / Math.max(1.0, tp + fn);
    }

    double moda() {
      return noGroundTruth ? 0 : (double) (tp - fp) / Math.max(1.0, tp + fn);
    }

    double motp() {
      return motpSum / Math.max(1.0, tp);
    }
  }

  static Counts evaluate(SequenceData data) {
    if (data.numTrackerDets == 0) {
      return new Counts(0, data.numGtDets, 0, 0, 0, 0, data.numGtIds, 0, 0, false);
    }
    if (data.numGtDets == 0) {
      return new Counts(0, 0, data.numTrackerDets, 0, 0, 0, 0, 0, 0, true);
    }
    int numGtIds = data.numGtIds;
    long[] gtIdCount = new long[numGtIds];
    long[] gtMatchedCount = new long[numGtIds];
    long[] gtFragCount = new long[numGtIds];
    // the last tracker id each object was matched to, ever (ID switches), and in the last frame
    // that had both ground truth and tracker boxes (matching); -1 for none
    int[] prevTrackerId = new int[numGtIds];
    int[] prevTimestepTrackerId = new int[numGtIds];
    Arrays.fill(prevTrackerId, -1);
    Arrays.fill(prevTimestepTrackerId, -1);
    long tp = 0;
    long fn = 0;
    long fp = 0;
    long idsw = 0;
    double motpSum = 0;
    for (int t = 0; t < data.frames(); t++) {
      int[] gtIds = data.gtIds[t];
      int[] trIds = data.trackerIds[t];
      if (gtIds.length == 0) {
        fp += trIds.length;
        continue;
      }
      if (trIds.length == 0) {
        fn += gtIds.length;
        for (int g : gtIds) {
          gtIdCount[g]++;
        }
        continue;
      }
      double[][] sim = data.similarity[t];
      double[][] score = new double[gtIds.length][trIds.length];
      for (int i = 0; i < gtIds.length; i++) {
        for (int j = 0; j < trIds.length; j++) {
          double continued = trIds[j] == prevTimestepTrackerId[gtIds[i]] ? 1 : 0;
          double s = 1000 * continued + sim[i][j];
          if (sim[i][j] < THRESHOLD - EPS) {
            s = 0;
          }
          score[i][j] = -s;
        }
      }
      int[][] match = LinearAssignment.solve(score);
      int[] rows = match[0];
      int[] cols = match[1];
      int matched = 0;
      int[] matchedRows = new int[rows.length];
      int[] matchedCols = new int[rows.length];
      for (int k = 0; k < rows.length; k++) {
        if (-score[rows[k]][cols[k]] > 0 + EPS) {
          matchedRows[matched] = rows[k];
          matchedCols[matched] = cols[k];
          matched++;
        }
      }
      for (int k = 0; k < matched; k++) {
        int g = gtIds[matchedRows[k]];
        int tr = trIds[matchedCols[k]];
        if (prevTrackerId[g] >= 0 && prevTrackerId[g] != tr) {
          idsw++;
        }
      }
      for (int g : gtIds) {
        gtIdCount[g]++;
      }
      boolean[] notPreviouslyTracked = new boolean[numGtIds];
      for (int g = 0; g < numGtIds; g++) {
        notPreviouslyTracked[g] = prevTimestepTrackerId[g] < 0;
      }
      Arrays.fill(prevTimestepTrackerId, -1);
      for (int k = 0; k < matched; k++) {
        int g = gtIds[matchedRows[k]];
        int tr = trIds[matchedCols[k]];
        gtMatchedCount[g]++;
        prevTrackerId[g] = tr;
        prevTimestepTrackerId[g] = tr;
      }
      for (int g = 0; g < numGtIds; g++) {
        if (notPreviouslyTracked[g] && prevTimestepTrackerId[g] >= 0) {
          gtFragCount[g]++;
        }
      }
      tp += matched;
      fn += gtIds.length - matched;
      fp += trIds.length - matched;
      if (matched > 0) {
        // Python's sum(): from 0, in match order
        double frameSum = 0;
        for (int k = 0; k < matched; k++) {
          frameSum += sim[matchedRows[k]][matchedCols[k]];
        }
        motpSum += frameSum;
      }
    }
    long mt = 0;
    long tracked = 0;
    long frag = 0;
    for (int g = 0; g < numGtIds; g++) {
      if (gtIdCount[g] > 0) {
        double ratio = (double) gtMatchedCount[g] / gtIdCount[g];
        if (ratio > 0.8) {
          mt++;
        }
        if (ratio >= 0.2) {
          tracked++;
        }
      }
      if (gtFragCount[g] > 0) {
        frag += gtFragCount[g] - 1;
      }
    }
    long pt = tracked - mt;
    long ml = numGtIds - mt - pt;
    return new Counts(tp, fn, fp, idsw, mt, pt, ml, frag, motpSum, false);
  }
}
