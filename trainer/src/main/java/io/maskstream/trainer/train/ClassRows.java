package io.maskstream.trainer.train;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Carries the per-class rows of a Mask R-CNN's heads from initial weights to a network whose class
 * list differs, class by class name: a class the initial weights know keeps its rows (wherever its
 * index now is), a new class keeps its fresh initialisation. The tensors indexed by class are the
 * box classifier ({@code roi_heads.box_predictor.cls_score}, one row per class), the box regressor
 * ({@code bbox_pred}, four rows per class) and the mask logits ({@code
 * roi_heads.mask_predictor.mask_fcn_logits}, one output channel per class); index 0 is the
 * background in both lists. Stateless.
 */
public final class ClassRows {
  /** The class-indexed tensors and the rows each class has in them. */
  static final Map<String, Integer> ROWS_PER_CLASS =
      Map.of(
          "roi_heads.box_predictor.cls_score.weight", 1,
          "roi_heads.box_predictor.cls_score.bias", 1,
          "roi_heads.box_predictor.bbox_pred.weight", 4,
          "roi_heads.box_predictor.bbox_pred.bias", 4,
          "roi_heads.mask_predictor.mask_fcn_logits.weight", 1,
          "roi_heads.mask_predictor.mask_fcn_logits.bias", 1);

  private ClassRows() {}

  /** Whether {@code key} names a tensor whose first dimension is indexed by class. */
  public static boolean isClassIndexed(String key) {
    return ROWS_PER_CLASS.containsKey(key);
  }

  /**
   * For each class of {@code now}, its index in {@code before}, or -1 for a class {@code before}
   * does not have. Index 0 (the background) maps to 0.
   */
  public static int[] mapping(List<String> before, List<String> now) {
    Map<String, Integer> index = new HashMap<>();
    for (int i = 1; i < before.size(); i++) {
      index.putIfAbsent(before.get(i), i);
    }
    int[] out = new int[now.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = i == 0 ? 0 : index.getOrDefault(now.get(i), -1);
    }
    return out;
  }

  /** The classes of {@code now} that {@code before} does not have. */
  public static List<String> added(List<String> before, List<String> now) {
    int[] map = mapping(before, now);
    List<String> out = new ArrayList<>();
    for (int i = 1; i < map.length; i++) {
      if (map[i] < 0) {
        out.add(now.get(i));
      }
    }
    return out;
  }

  /**
   * The values of the class-indexed tensor {@code key} for the network now: {@code fresh} (its own
   * initialisation, {@code now.size() * rowsPerClass} rows) with the rows of every class {@code
   * before} knows copied from {@code initial}.
   *
   * @param initial the initial weights' values, {@code before.size() * rowsPerClass} rows
   * @param fresh the network's values, not changed
   * @throws IllegalArgumentException when the sizes do not match the class lists
   */
  public static float[] carry(
      String key, float[] initial, List<String> before, float[] fresh, List<String> now) {
    int rowsPerClass = ROWS_PER_CLASS.get(key);
    if (initial.length % (before.size() * rowsPerClass) != 0
        || fresh.length % (now.size() * rowsPerClass) != 0) {
      throw new IllegalArgumentException(
          key + " does not have " + rowsPerClass + " rows per class of the class lists given");
    }
    int row = initial.length / (before.size() * rowsPerClass);
    if (fresh.length / (now.size() * rowsPerClass) != row) {
      throw new IllegalArgumentException(
          key + ": rows of " + row + " values in the initial weights, another size here");
    }
    int perClass = row * rowsPerClass;
    float[] out = fresh.clone();
    int[] map = mapping(before, now);
    for (int c = 0; c < map.length; c++) {
      if (map[c] >= 0) {
        System.arraycopy(initial, map[c] * perClass, out, c * perClass, perClass);
      }
    }
    return out;
  }
}
