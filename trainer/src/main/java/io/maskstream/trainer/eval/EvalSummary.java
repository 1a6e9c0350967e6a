package io.maskstream.trainer.eval;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The numbers of pycocotools' {@code COCOeval.stats} for one IoU type, and their summary lines.
 * Immutable.
 *
 * <p>Boxes and masks, 12 stats: 0 AP, 1 AP50, 2 AP75, 3-5 AP small / medium / large, 6-8 AR with 1
 * / 10 / 100 detections, 9-11 AR small / medium / large. Keypoints, 10 stats at 20 detections: 0
 * AP, 1 AP50, 2 AP75, 3-4 AP medium / large, 5 AR, 6 AR50, 7 AR75, 8-9 AR medium / large. -1 where
 * nothing could be measured. Also the AP of each category ({@link #categoryAp()}).
 */
public final class EvalSummary {
  private final IouType type;
  private final double[] stats;
  private final Map<Long, Double> categoryAp;

  EvalSummary(IouType type, double[] stats, Map<Long, Double> categoryAp) {
    this.type = type;
    this.stats = stats.clone();
    this.categoryAp =
        java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(categoryAp));
  }

  /** Whether these are box or mask numbers. */
  public IouType type() {
    return type;
  }

  /** A copy of the stats (12, or 10 for keypoints). */
  public double[] stats() {
    return stats.clone();
  }

  /** One stat by index (0 = AP at IoU 0.50:0.95). */
  public double stat(int index) {
    return stats[index];
  }

  /**
   * The AP at IoU 0.50:0.95 of each category that has ground truth, by category id in id order:
   * pycocotools' precision of that category averaged over IoU thresholds and recall points (all
   * areas, 100 detections), as detectron2 reports per-category AP. The mean over the categories is
   * {@code stat(0)}. Unmodifiable.
   */
  public Map<Long, Double> categoryAp() {
    return categoryAp;
  }

  /** The lines pycocotools' {@code summarize()} prints, character for character. */
  public List<String> lines() {
    if (type == IouType.KEYPOINTS) {
      List<String> lines = new ArrayList<>(10);
      for (int i = 0; i < 2; i++) {
        boolean ap = i == 0;
        lines.add(line(ap, null, "all", 20, stats[5 * i]));
        lines.add(line(ap, 0.5, "all", 20, stats[5 * i + 1]));
        lines.add(line(ap, 0.75, "all", 20, stats[5 * i + 2]));
        lines.add(line(ap, null, "medium", 20, stats[5 * i + 3]));
        lines.add(line(ap, null, "large", 20, stats[5 * i + 4]));
      }
      return lines;
    }
    List<String> lines = new ArrayList<>(12);
    lines.add(line(true, null, "all", 100, stats[0]));
    lines.add(line(true, 0.5, "all", 100, stats[1]));
    lines.add(line(true, 0.75, "all", 100, stats[2]));
    lines.add(line(true, null, "small", 100, stats[3]));
    lines.add(line(true, null, "medium", 100, stats[4]));
    lines.add(line(true, null, "large", 100, stats[5]));
    lines.add(line(false, null, "all", 1, stats[6]));
    lines.add(line(false, null, "all", 10, stats[7]));
    lines.add(line(false, null, "all", 100, stats[8]));
    lines.add(line(false, null, "small", 100, stats[9]));
    lines.add(line(false, null, "medium", 100, stats[10]));
    lines.add(line(false, null, "large", 100, stats[11]));
    return lines;
  }

  private static String line(boolean ap, Double iou, String area, int maxDets, double value) {
    String iouText = iou == null ? "0.50:0.95" : String.format(Locale.ROOT, "%.2f", iou);
    return String.format(
        Locale.ROOT,
        " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %s",
        ap ? "Average Precision" : "Average Recall",
        ap ? "(AP)" : "(AR)",
        iouText,
        area,
        maxDets,
        threeDecimals(value));
  }

  /** Python's {@code '{:0.3f}'}: the exact binary value rounded half to even. */
  static String threeDecimals(double value) {
    return new BigDecimal(value).setScale(3, RoundingMode.HALF_EVEN).toPlainString();
  }

  @Override
  public String toString() {
    return type.cocoName() + " " + String.join("\n", lines());
  }
}
