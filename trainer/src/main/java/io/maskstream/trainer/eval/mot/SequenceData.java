package io.maskstream.trainer.eval.mot;

import io.maskstream.schemas.match.LinearAssignment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One sequence prepared as TrackEval's {@code MotChallenge2DBox} prepares it for its metrics
 * (optionally with MOTChallenge's preprocessing, {@link MotPreprocess}): per frame the ground-truth
 * and tracker ids, relabelled to {@code 0..n-1} in the order of the original ids, in file order,
 * and the IoU of every ground-truth box with every tracker box. Frames with no box at all are left
 * out: no metric changes with them. Immutable after construction.
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
    return of(gt, tracker, MotPreprocess.NONE);
  }

  /**
   * Prepares a sequence; with MOTChallenge preprocessing, ground truth other than counted
   * pedestrians is dropped and tracker boxes matched to distractors are removed first.
   *
   * @throws MotFormatException if preprocessing needs a class the ground truth lacks
   */
  static SequenceData of(MotFile gt, MotFile tracker, MotPreprocess preprocess) {
    if (preprocess != MotPreprocess.NONE) {
      checkClasses(gt);
    }
    TreeMap<Integer, List<MotFile.Box>> gtFrames = byFrame(gt);
    TreeMap<Integer, List<MotFile.Box>> trFrames = byFrame(tracker);
    TreeSet<Integer> frames = new TreeSet<>(gtFrames.keySet());
    frames.addAll(trFrames.keySet());
    int n = frames.size();
    List<List<MotFile.Box>> keptGt = new ArrayList<>(n);
    List<List<MotFile.Box>> keptTr = new ArrayList<>(n);
    double[][][] sim = new double[n][][];
    int k = 0;
    for (int frame : frames) {
      List<MotFile.Box> g = gtFrames.getOrDefault(frame, List.of());
      List<MotFile.Box> t = trFrames.getOrDefault(frame, List.of());
      double[][] iou = boxIous(g, t);
      if (preprocess == MotPreprocess.NONE) {
        keptGt.add(g);
        keptTr.add(t);
        sim[k++] = iou;
        continue;
      }
      boolean[] dropTracker = new boolean[t.size()];
      if (!g.isEmpty() && !t.isEmpty()) {
        double[][] cost = new double[g.size()][t.size()];
        for (int i = 0; i < g.size(); i++) {
          for (int j = 0; j < t.size(); j++) {
            cost[i][j] = -(iou[i][j] < 0.5 - EPS ? 0 : iou[i][j]);
          }
        }
        int[][] match = LinearAssignment.solve(cost);
        for (int m = 0; m < match[0].length; m++) {
          int i = match[0][m];
          int j = match[1][m];
          if (-cost[i][j] > 0 + EPS && preprocess.distractors().contains(gtClass(g.get(i)))) {
            dropTracker[j] = true;
          }
        }
      }
      List<Integer> rows = new ArrayList<>();
      for (int i = 0; i < g.size(); i++) {
        MotFile.Box b = g.get(i);
        if ((long) b.extra()[0] != 0 && gtClass(b) == 1) {
          rows.add(i);
        }
      }
      List<Integer> cols = new ArrayList<>();
      for (int j = 0; j < t.size(); j++) {
        if (!dropTracker[j]) {
          cols.add(j);
        }
      }
      double[][] kept = new double[rows.size()][cols.size()];
      List<MotFile.Box> gk = new ArrayList<>();
      List<MotFile.Box> tk = new ArrayList<>();
      for (int a = 0; a < rows.size(); a++) {
        gk.add(g.get(rows.get(a)));
        for (int b = 0; b < cols.size(); b++) {
          kept[a][b] = iou[rows.get(a)][cols.get(b)];
        }
      }
      for (int j : cols) {
        tk.add(t.get(j));
      }
      keptGt.add(gk);
      keptTr.add(tk);
      sim[k++] = kept;
    }
    int[] gtMap = sortedIds(keptGt);
    int[] trMap = sortedIds(keptTr);
    int[][] gtIds = new int[n][];
    int[][] trIds = new int[n][];
    for (int f = 0; f < n; f++) {
      gtIds[f] = ids(keptGt.get(f), gtMap);
      trIds[f] = ids(keptTr.get(f), trMap);
    }
    return new SequenceData(gtIds, trIds, sim, gtMap.length, trMap.length);
  }

  private static int gtClass(MotFile.Box b) {
    return (int) (long) b.extra()[1];
  }

  /** MOTChallenge's classes are 1..13; preprocessing needs one on every ground-truth line. */
  private static void checkClasses(MotFile gt) {
    for (MotFile.Box b : gt.boxes()) {
      if (b.extra().length < 2) {
        throw new MotFormatException(
            gt.source()
                + ":"
                + b.line()
                + ": MOTChallenge preprocessing needs the flag and class of each ground-truth box"
                + " (frame,id,left,top,width,height,flag,class,visibility)");
      }
      long c = (long) b.extra()[1];
      if (c < 1 || c > 13) {
        throw new MotFormatException(
            gt.source()
                + ":"
                + b.line()
                + ": class (column 8) must be a MOTChallenge class 1..13, got "
                + MotTable.general(b.extra()[1]));
      }
    }
  }

  private static TreeMap<Integer, List<MotFile.Box>> byFrame(MotFile file) {
    TreeMap<Integer, List<MotFile.Box>> out = new TreeMap<>();
    for (MotFile.Box b : file.boxes()) {
      out.computeIfAbsent(b.frame(), f -> new ArrayList<>()).add(b);
    }
    return out;
  }

  /** Sorted distinct original ids; a box's new id is its id's position among them. */
  private static int[] sortedIds(List<List<MotFile.Box>> frames) {
    return frames.stream()
        .flatMap(List::stream)
        .mapToInt(MotFile.Box::id)
        .distinct()
        .sorted()
        .toArray();
  }

  private static int[] ids(List<MotFile.Box> boxes, int[] sortedIds) {
    int[] out = new int[boxes.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = Arrays.binarySearch(sortedIds, boxes.get(i).id());
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
