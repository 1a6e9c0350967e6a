package io.maskstream.trainer.eval.mot;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One sequence prepared as TrackEval's {@code MotChallenge2DBox} prepares it for its metrics
 * (without MOTChallenge's distractor preprocessing): per frame the ground-truth and tracker ids,
 * relabelled to {@code 0..n-1} in the order of the original ids, in file order, and the IoU of
 * every ground-truth box with every tracker box. Frames with no box at all are left out: no metric
 * changes with them. Immutable after construction.
 */
final class SequenceData {
  private static final double EPS = Math.ulp(1.0);

  final int[][] gtIds;
  final int[][] trackerIds;
  final double[][][] similarity;
  final int numGtIds;
  final int numTrackerIds;
  final int numGtDets;
  final int numTrackerDets;

  private SequenceData(
      int[][] gtIds, int[][] trackerIds, double[][][] similarity, int numGtIds, int numTrackerIds) {
    this.gtIds = gtIds;
    this.trackerIds = trackerIds;
    this.similarity = similarity;
    this.numGtIds = numGtIds;
    this.numTrackerIds = numTrackerIds;
    int g = 0;
    int t = 0;
    for (int f = 0; f < gtIds.length; f++) {
      g += gtIds[f].length;
      t += trackerIds[f].length;
    }
    this.numGtDets = g;
    this.numTrackerDets = t;
  }

  /** Number of frames with at least one box. */
  int frames() {
    return gtIds.length;
  }

  static SequenceData of(MotFile gt, MotFile tracker) {
    TreeMap<Integer, List<MotFile.Box>> gtFrames = byFrame(gt);
    TreeMap<Integer, List<MotFile.Box>> trFrames = byFrame(tracker);
    TreeSet<Integer> frames = new TreeSet<>(gtFrames.keySet());
    frames.addAll(trFrames.keySet());
    int[] gtMap = relabel(gt);
    int[] trMap = relabel(tracker);
    int n = frames.size();
    int[][] gtIds = new int[n][];
    int[][] trIds = new int[n][];
    double[][][] sim = new double[n][][];
    int k = 0;
    for (int frame : frames) {
      List<MotFile.Box> g = gtFrames.getOrDefault(frame, List.of());
      List<MotFile.Box> t = trFrames.getOrDefault(frame, List.of());
      gtIds[k] = ids(g, gt, gtMap);
      trIds[k] = ids(t, tracker, trMap);
      sim[k] = boxIous(g, t);
      k++;
    }
    return new SequenceData(gtIds, trIds, sim, distinct(gt), distinct(tracker));
  }

  private static TreeMap<Integer, List<MotFile.Box>> byFrame(MotFile file) {
    TreeMap<Integer, List<MotFile.Box>> out = new TreeMap<>();
    for (MotFile.Box b : file.boxes()) {
      out.computeIfAbsent(b.frame(), f -> new ArrayList<>()).add(b);
    }
    return out;
  }

  /** Sorted distinct original ids; a box's new id is its id's position among them. */
  private static int[] relabel(MotFile file) {
    return file.boxes().stream().mapToInt(MotFile.Box::id).distinct().sorted().toArray();
  }

  private static int distinct(MotFile file) {
    return relabel(file).length;
  }

  private static int[] ids(List<MotFile.Box> boxes, MotFile file, int[] sortedIds) {
    int[] out = new int[boxes.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = java.util.Arrays.binarySearch(sortedIds, boxes.get(i).id());
    }
    return out;
  }

  /**
   * IoU of {@code x, y, w, h} boxes with TrackEval's arithmetic ({@code _calculate_box_ious}):
   * corners as {@code x + w}, areas from the corners, degenerate boxes and unions IoU 0.
   */
  static double[][] boxIous(List<MotFile.Box> a, List<MotFile.Box> b) {
    double[][] out = new double[a.size()][b.size()];
    for (int i = 0; i < a.size(); i++) {
      MotFile.Box p = a.get(i);
      double px1 = p.left() + p.width();
      double py1 = p.top() + p.height();
      double area1 = (px1 - p.left()) * (py1 - p.top());
      for (int j = 0; j < b.size(); j++) {
        MotFile.Box q = b.get(j);
        double qx1 = q.left() + q.width();
        double qy1 = q.top() + q.height();
        double area2 = (qx1 - q.left()) * (qy1 - q.top());
        double iw = Math.max(Math.min(px1, qx1) - Math.max(p.left(), q.left()), 0);
        double ih = Math.max(Math.min(py1, qy1) - Math.max(p.top(), q.top()), 0);
        double intersection = iw * ih;
        double union = area1 + area2 - intersection;
        if (area1 <= 0 + EPS || area2 <= 0 + EPS || union <= 0 + EPS) {
          intersection = 0;
        }
        if (union <= 0 + EPS) {
          union = 1;
        }
        out[i][j] = intersection / union;
      }
    }
    return out;
  }
}
