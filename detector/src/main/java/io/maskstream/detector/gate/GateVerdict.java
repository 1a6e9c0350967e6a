package io.maskstream.detector.gate;

import io.maskstream.schemas.avro.ClassAp;
import io.maskstream.schemas.avro.GateFigures;
import io.maskstream.schemas.avro.GateResult;
import io.maskstream.schemas.cli.TextTable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The gate's decision and how it is shown: a candidate passes when neither its box AP nor its mask
 * AP is lower than the serving version's by more than the margin (per-class figures are shown, not
 * judged: on a held-out set of a few hundred images a single class's AP moves a lot). With nothing
 * announced yet there is nothing to compare, and the candidate passes. Stateless.
 */
public final class GateVerdict {
  /** Figures closer than this count as equal (AP is a mean of floating-point precisions). */
  private static final double TOLERANCE = 1e-9;

  private GateVerdict() {}

  /**
   * Judges {@code candidate} against {@code serving}.
   *
   * @param data the dataset, as recorded in the announcement
   * @param servingVersion the version announced now, or null when none is
   * @param serving its figures, or null when none is announced
   * @param margin how much lower box and mask AP may each be
   * @return the result, {@code forced} false
   */
  public static GateResult judge(
      String data,
      int images,
      String servingVersion,
      GateFigures serving,
      GateFigures candidate,
      double margin) {
    boolean passed =
        serving == null
            || (candidate.getBoxAp() >= serving.getBoxAp() - margin - TOLERANCE
                && candidate.getMaskAp() >= serving.getMaskAp() - margin - TOLERANCE);
    return GateResult.newBuilder()
        .setData(data)
        .setImages(images)
        .setServingVersion(serving == null ? null : servingVersion)
        .setMargin(margin)
        .setPassed(passed)
        .setForced(false)
        .setCandidate(candidate)
        .setServing(serving)
        .build();
  }

  /**
   * The comparison table: a title, then overall and per-class AP of the version announced now, the
   * candidate and the difference, for boxes and masks.
   *
   * @param name the model name
   * @param candidateVersion the candidate's version
   */
  public static List<String> table(GateResult r, String name, String candidateVersion) {
    List<String> lines = new ArrayList<>();
    String candidate = name + "@" + candidateVersion;
    GateFigures s = r.getServing();
    GateFigures c = r.getCandidate();
    if (s == null) {
      lines.add(
          String.format(
              Locale.ROOT,
              "gate on %s (%d images): %s; no version of %s is announced, so there is nothing to"
                  + " compare",
              r.getData(),
              r.getImages(),
              candidate,
              name));
      TextTable table = new TextTable(List.of("CLASS", "BOX AP", "MASK AP"), 1, 2);
      table.add("all", ap(c.getBoxAp()), ap(c.getMaskAp()));
      for (ClassAp k : c.getClasses()) {
        table.add(k.getName(), ap(k.getBoxAp()), ap(k.getMaskAp()));
      }
      lines.addAll(table.lines("  "));
      return lines;
    }
    lines.add(
        String.format(
            Locale.ROOT,
            "gate on %s (%d images): candidate %s against %s@%s announced now, margin %.3f",
            r.getData(),
            r.getImages(),
            candidate,
            name,
            r.getServingVersion(),
            r.getMargin()));
    TextTable table =
        new TextTable(
            List.of(
                "CLASS", "BOX AP NOW", "CANDIDATE", "DELTA", "MASK AP NOW", "CANDIDATE", "DELTA"),
            1,
            2,
            3,
            4,
            5,
            6);
    row(table, "all", s.getBoxAp(), c.getBoxAp(), s.getMaskAp(), c.getMaskAp());
    Map<String, ClassAp> served = new LinkedHashMap<>();
    s.getClasses().forEach(k -> served.put(k.getName(), k));
    Map<String, ClassAp> candidates = new LinkedHashMap<>();
    c.getClasses().forEach(k -> candidates.put(k.getName(), k));
    Map<String, Boolean> names = new LinkedHashMap<>();
    candidates.keySet().forEach(n -> names.put(n, true));
    served.keySet().forEach(n -> names.put(n, true));
    for (String n : names.keySet()) {
      ClassAp a = served.get(n);
      ClassAp b = candidates.get(n);
      row(
          table,
          n,
          a == null ? Double.NaN : a.getBoxAp(),
          b == null ? Double.NaN : b.getBoxAp(),
          a == null ? Double.NaN : a.getMaskAp(),
          b == null ? Double.NaN : b.getMaskAp());
    }
    lines.addAll(table.lines("  "));
    return lines;
  }

  /** One line: passed, forced or refused, with the overall differences. */
  public static String summary(GateResult r, String name) {
    GateFigures s = r.getServing();
    GateFigures c = r.getCandidate();
    if (s == null) {
      return String.format(
          Locale.ROOT,
          "passed: the first version of %s (box AP %.3f, mask AP %.3f)",
          name,
          c.getBoxAp(),
          c.getMaskAp());
    }
    String serving = name + "@" + r.getServingVersion();
    if (r.getPassed()) {
      return String.format(
          Locale.ROOT,
          "passed: box AP %s, mask AP %s against %s (margin %.3f)",
          delta(c.getBoxAp() - s.getBoxAp()),
          delta(c.getMaskAp() - s.getMaskAp()),
          serving,
          r.getMargin());
    }
    List<String> worse = new ArrayList<>();
    if (c.getBoxAp() < s.getBoxAp() - r.getMargin() - TOLERANCE) {
      worse.add(below("box", c.getBoxAp(), s.getBoxAp()));
    }
    if (c.getMaskAp() < s.getMaskAp() - r.getMargin() - TOLERANCE) {
      worse.add(below("mask", c.getMaskAp(), s.getMaskAp()));
    }
    return String.format(
        Locale.ROOT,
        "%s: %s than %s, beyond the margin %.3f",
        r.getForced() ? "refused by the gate but published with --force" : "refused by the gate",
        String.join(" and ", worse),
        serving,
        r.getMargin());
  }

  private static String below(String what, double candidate, double serving) {
    return String.format(
        Locale.ROOT, "%s AP %.3f is %.3f lower", what, candidate, serving - candidate);
  }

  private static void row(
      TextTable table, String name, double boxNow, double box, double maskNow, double mask) {
    table.add(
        name,
        ap(boxNow),
        ap(box),
        delta(box - boxNow),
        ap(maskNow),
        ap(mask),
        delta(mask - maskNow));
  }

  private static String ap(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.3f", v);
  }

  private static String delta(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%+.3f", v);
  }
}
