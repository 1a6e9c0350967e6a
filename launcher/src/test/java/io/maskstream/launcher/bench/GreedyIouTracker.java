package io.maskstream.launcher.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A plain greedy IoU tracker, the baseline {@link TrackingBenchmark} compares the detector's
 * tracker with: each frame's detections are matched to the previous frame's tracks by box IoU
 * alone, greedily in descending IoU order (ties: lower track index, then lower detection index
 * first), a pair at least {@link #MIN_IOU}; a detection left unmatched starts a new id, a track
 * left unmatched ends for good. No motion model, no lost-track buffer, no scores, no classes. Ids
 * count from 1. Not thread-safe.
 */
final class GreedyIouTracker {
  /** The smallest box IoU of a match. */
  static final double MIN_IOU = 0.3;

  private List<double[]> boxes = List.of(); // the live tracks' boxes in the previous frame
  private long[] ids = new long[0];
  private long nextId = 1;

  /**
   * Tracks one frame.
   *
   * @param detections the frame's boxes, {@code [x1, y1, x2, y2]}
   * @return the track id of each detection, in their order
   */
  long[] step(List<double[]> detections) {
    int nt = boxes.size();
    int nd = detections.size();
    List<double[]> pairs = new ArrayList<>(); // {iou, track, detection}
    for (int t = 0; t < nt; t++) {
      for (int d = 0; d < nd; d++) {
        double iou = iou(boxes.get(t), detections.get(d));
        if (iou >= MIN_IOU) {
          pairs.add(new double[] {iou, t, d});
        }
      }
    }
    // a stable sort keeps (track, detection) order among equal IoUs
    pairs.sort((a, b) -> Double.compare(b[0], a[0]));
    boolean[] trackTaken = new boolean[nt];
    long[] out = new long[nd];
    for (double[] p : pairs) {
      int t = (int) p[1];
      int d = (int) p[2];
      if (!trackTaken[t] && out[d] == 0) {
        trackTaken[t] = true;
        out[d] = ids[t];
      }
    }
    for (int d = 0; d < nd; d++) {
      if (out[d] == 0) {
        out[d] = nextId++;
      }
    }
    boxes = List.copyOf(detections);
    ids = Arrays.copyOf(out, nd);
    return out;
  }

  /** IoU of two {@code [x1, y1, x2, y2]} boxes; 0 for boxes without area. */
  static double iou(double[] a, double[] b) {
    double w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
    double h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
    if (w <= 0 || h <= 0) {
      return 0;
    }
    double inter = w * h;
    double union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    return union <= 0 ? 0 : inter / union;
  }
}
