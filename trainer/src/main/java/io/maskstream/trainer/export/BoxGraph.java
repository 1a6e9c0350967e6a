package io.maskstream.trainer.export;

import static io.maskstream.trainer.export.OnnxGraph.FLOAT;
import static io.maskstream.trainer.export.OnnxGraph.INT64;
import static io.maskstream.trainer.export.OnnxGraph.attr;

import java.util.List;

/**
 * The box operations of the detection stages in an exported graph, each deciding as the Java code
 * does: clipping, small-box removal, NMS per category with the Java order of suppression, and
 * float32 thresholds that give the answers of the Java code's double comparisons. Boxes are {@code
 * [N, 4]} float {@code x1, y1, x2, y2}.
 */
public final class BoxGraph {
  // torchvision's batched_nms offsets boxes up to this many coordinates, and loops above it
  private static final long COORDINATE_TRICK_LIMIT = 4000;

  private BoxGraph() {}

  /**
   * Boxes {@code [..., 4]} clamped to {@code limits [w, h, w, h]}: {@code min(max(v, 0), side)}.
   */
  public static String clip(OnnxGraph g, String boxes, String limits) {
    return g.min(g.max(boxes, g.scalar(0f)), limits);
  }

  /**
   * Whether a box {@code [N, 4]} has a side below {@code minSize}: {@code side < minSize} with the
   * side in float32 and {@code minSize} a double, as the Java code compares.
   */
  public static String small(OnnxGraph g, String boxes, double minSize) {
    String limit = g.scalar(floatAtLeast(minSize));
    String w = g.sub(column(g, boxes, 2), column(g, boxes, 0));
    String h = g.sub(column(g, boxes, 3), column(g, boxes, 1));
    return g.op("Or", List.of(g.op("Less", List.of(w, limit)), g.op("Less", List.of(h, limit))));
  }

  /** The smallest float at least {@code v}: for a float x, {@code x < v} iff {@code x < it}. */
  public static float floatAtLeast(double v) {
    float f = (float) v;
    return f < v ? Math.nextUp(f) : f;
  }

  /** The largest float at most {@code v}: for a float x, {@code x > v} iff {@code x > it}. */
  public static float floatBelow(double v) {
    float f = (float) v;
    return f > v ? Math.nextDown(f) : f;
  }

  /**
   * The positions kept by NMS of {@code boxes [N, 4]} in processing order, each suppressing only
   * boxes of its own {@code category [N]} (int64, {@code first .. first + categories - 1}) that
   * overlap it by IoU above {@code threshold}. Returned grouped by category.
   *
   * <p>NMS runs in ONNX Runtime's {@code NonMaxSuppression}, whose IoU is computed as the Java one;
   * boxes enter it already sorted (descending score, lower index first on ties) with their rank as
   * the score, so that the order in which boxes suppress each other is the Java one even for equal
   * scores. Like torchvision's {@code batched_nms} (and {@code Nms.batchedKeep}), categories are
   * separated by offsetting the boxes when there are at most 1000 of them.
   */
  public static String nms(
      OnnxGraph g, String boxes, String category, long first, int categories, float threshold) {
    String n = g.dim(boxes, 0);
    // batched_nms' coordinate trick: offset = category * (max coordinate + 1), if 4N <= 4000
    String flat = g.concat(0, g.reshape(boxes, -1), g.vector(0f));
    String max = g.op("ReduceMax", flat, attr("keepdims", 0L));
    String trick =
        g.op("LessOrEqual", List.of(g.mul(n, g.scalar(4L)), g.scalar(COORDINATE_TRICK_LIMIT)));
    String offset = g.op("Where", List.of(trick, g.add(max, g.scalar(1f)), g.scalar(0f)));
    String shifted = g.add(boxes, g.unsqueeze(g.mul(g.cast(category, FLOAT), offset), 1));
    // the rank as the score: NonMaxSuppression then visits the boxes in the given order
    String rank = g.cast(g.sub(n, range(g, n)), FLOAT);
    String classes = g.unsqueeze(range(g, g.scalar(first), g.scalar(first + categories)), 1);
    String perClass =
        g.op(
            "Where",
            List.of(
                g.op("Equal", List.of(g.unsqueeze(category, 0), classes)),
                g.unsqueeze(rank, 0),
                g.scalar(-1f)));
    String selected =
        g.op(
            "NonMaxSuppression",
            List.of(
                g.unsqueeze(shifted, 0),
                g.unsqueeze(perClass, 0),
                g.squeeze(n, 0),
                g.scalar(threshold),
                g.scalar(0f)));
    return g.gather(selected, g.scalar(2L), 1);
  }

  /** Distinct non-negative int64 values (below 2^24) in ascending order. */
  public static String sortAscending(OnnxGraph g, String values) {
    String[] sorted =
        g.op(
            "TopK",
            2,
            List.of(g.cast(values, FLOAT), g.shape(values, 0, 1)),
            attr("axis", 0L),
            attr("largest", 0L),
            attr("sorted", 1L));
    return g.cast(sorted[0], INT64);
  }

  /** The rows of {@code x} where {@code keep} is true. */
  public static String compress(OnnxGraph g, String x, String keep) {
    return g.op("Compress", List.of(x, keep), attr("axis", 0L));
  }

  /** Column {@code i} of {@code boxes [N, 4]}: {@code [N]}. */
  public static String column(OnnxGraph g, String boxes, long i) {
    return g.gather(boxes, g.scalar(i), 1);
  }

  /** {@code 0 .. n - 1} for a one-element int64 vector {@code n}. */
  public static String range(OnnxGraph g, String n) {
    return range(g, g.scalar(0L), g.squeeze(n, 0));
  }

  /** {@code start .. limit - 1} for int64 scalars. */
  public static String range(OnnxGraph g, String start, String limit) {
    return g.op("Range", List.of(start, limit, g.scalar(1L)));
  }
}
