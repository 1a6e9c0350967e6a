package io.maskstream.detector.shadow;

import io.maskstream.detector.Instance;
import io.maskstream.schemas.match.LinearAssignment;
import io.maskstream.schemas.rle.CocoIou;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How a candidate's detections on one frame agree with the serving model's: detections are matched
 * one to one (same class, box IoU at least {@value #MATCH_IOU}, the assignment maximising the
 * summed IoU above the threshold, as {@link LinearAssignment#solve(double[][], double)}); each
 * match contributes its mask IoU ({@link CocoIou#of}) and the candidate's score minus the serving
 * one's. Immutable.
 *
 * @param serving detections of the serving model
 * @param candidate detections of the candidate
 * @param matches the matched pairs, in the serving model's order
 * @param classes per class name: serving, candidate and matched counts
 */
public record Agreement(
    int serving, int candidate, List<Match> matches, Map<String, ClassCounts> classes) {
  /** The box IoU from which two detections of one class are the same object. */
  public static final double MATCH_IOU = 0.5;

  /** Copies the lists. */
  public Agreement {
    matches = List.copyOf(matches);
    classes = Map.copyOf(classes);
  }

  /**
   * One detection of each model taken for the same object.
   *
   * @param label their class
   * @param boxIou their boxes' IoU
   * @param maskIou their masks' IoU (their boxes' when a model has no mask head)
   * @param scoreShift the candidate's score minus the serving model's
   */
  public record Match(String label, double boxIou, double maskIou, double scoreShift) {}

  /** Pairs matched. */
  public int matched() {
    return matches.size();
  }

  /** Sum of the matched pairs' mask IoU. */
  public double maskIouSum() {
    return matches.stream().mapToDouble(Match::maskIou).sum();
  }

  /** Sum over the matched pairs of the candidate's score minus the serving model's. */
  public double scoreShiftSum() {
    return matches.stream().mapToDouble(Match::scoreShift).sum();
  }

  /**
   * Counts of one class.
   *
   * @param serving detections of the serving model
   * @param candidate detections of the candidate
   * @param matched matched pairs
   */
  public record ClassCounts(long serving, long candidate, long matched) {
    ClassCounts plus(ClassCounts o) {
      return new ClassCounts(serving + o.serving, candidate + o.candidate, matched + o.matched);
    }
  }

  /** Compares the detections of the two models on one frame (masks of the same frame size). */
  public static Agreement of(List<Instance> serving, List<Instance> candidate) {
    int ns = serving.size();
    int nc = candidate.size();
    Map<String, ClassCounts> classes = new TreeMap<>();
    for (Instance s : serving) {
      classes.merge(s.label(), new ClassCounts(1, 0, 0), ClassCounts::plus);
    }
    for (Instance c : candidate) {
      classes.merge(c.label(), new ClassCounts(0, 1, 0), ClassCounts::plus);
    }
    if (ns == 0 || nc == 0) {
      return new Agreement(ns, nc, List.of(), classes);
    }
    double[][] iou = CocoIou.boxIou(boxes(serving), boxes(candidate), null);
    double[][] cost = new double[ns][nc];
    for (int i = 0; i < ns; i++) {
      for (int j = 0; j < nc; j++) {
        boolean sameClass = serving.get(i).label().equals(candidate.get(j).label());
        cost[i][j] = sameClass ? 1 - iou[i][j] : Double.POSITIVE_INFINITY;
      }
    }
    // a pair matches when its cost 1 - IoU is below 1 - MATCH_IOU, IoU exactly 0.5 included
    int[] match = LinearAssignment.solve(cost, 1 - MATCH_IOU + 1e-9);
    List<Match> matches = new ArrayList<>();
    for (int i = 0; i < ns; i++) {
      int j = match[i];
      if (j < 0) {
        continue;
      }
      Instance s = serving.get(i);
      Instance c = candidate.get(j);
      matches.add(
          new Match(
              s.label(),
              iou[i][j],
              s.mask() != null && c.mask() != null ? CocoIou.of(s.mask(), c.mask()) : iou[i][j],
              (double) c.score() - s.score()));
      classes.merge(s.label(), new ClassCounts(0, 0, 1), ClassCounts::plus);
    }
    return new Agreement(ns, nc, matches, classes);
  }

  /** Boxes as COCO's {@code [x, y, w, h]}. */
  private static double[][] boxes(List<Instance> instances) {
    double[][] out = new double[instances.size()][];
    for (int i = 0; i < out.length; i++) {
      Instance d = instances.get(i);
      out[i] = new double[] {d.x1(), d.y1(), d.x2() - d.x1(), d.y2() - d.y1()};
    }
    return out;
  }
}
