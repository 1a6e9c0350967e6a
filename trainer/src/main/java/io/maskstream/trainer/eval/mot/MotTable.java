package io.maskstream.trainer.eval.mot;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The summary table of a {@link MotReport}, with TrackEval's number format: fractions as
 * percentages to 5 significant digits (Python's {@code "{:1.5g}"}), counts as integers, columns
 * left-aligned as TrackEval prints them. Stateless.
 */
public final class MotTable {
  /** The columns, in order. */
  public static final List<String> COLUMNS =
      List.of(
          "HOTA", "DetA", "AssA", "LocA", "MOTA", "MOTP", "IDF1", "IDP", "IDR", "IDSW", "Frag",
          "MT", "PT", "ML", "FP", "FN");

  private static final int WIDTH = 10;

  private MotTable() {}

  /**
   * The table: a header, one row per sequence when there are several, and the combined row (named
   * after the sequence when there is one).
   */
  public static List<String> lines(MotReport report) {
    List<String> names = new ArrayList<>();
    List<MotMetrics> rows = new ArrayList<>();
    if (report.sequences().size() == 1) {
      names.add(report.sequences().get(0).name());
      rows.add(report.combined());
    } else {
      for (MotReport.Row row : report.sequences()) {
        names.add(row.name());
        rows.add(row.metrics());
      }
      names.add("COMBINED");
      rows.add(report.combined());
    }
    int first = "Sequence".length();
    for (String n : names) {
      first = Math.max(first, n.length());
    }
    first += 2;
    List<String> out = new ArrayList<>();
    out.add(row(first, "Sequence", COLUMNS));
    for (int i = 0; i < rows.size(); i++) {
      out.add(row(first, names.get(i), List.copyOf(cells(rows.get(i)).values())));
    }
    return out;
  }

  /** The cells of one row by column name, as TrackEval prints them. */
  public static Map<String, String> cells(MotMetrics m) {
    Map<String, String> out = new LinkedHashMap<>();
    out.put("HOTA", percent(m.hota()));
    out.put("DetA", percent(m.detA()));
    out.put("AssA", percent(m.assA()));
    out.put("LocA", percent(m.locA()));
    out.put("MOTA", percent(m.mota()));
    out.put("MOTP", percent(m.motp()));
    out.put("IDF1", percent(m.idf1()));
    out.put("IDP", percent(m.idp()));
    out.put("IDR", percent(m.idr()));
    out.put("IDSW", Long.toString(m.idsw()));
    out.put("Frag", Long.toString(m.frag()));
    out.put("MT", Long.toString(m.mt()));
    out.put("PT", Long.toString(m.pt()));
    out.put("ML", Long.toString(m.ml()));
    out.put("FP", Long.toString(m.fp()));
    out.put("FN", Long.toString(m.fn()));
    return out;
  }

  private static String percent(double fraction) {
    return general(100 * fraction);
  }

  /**
   * Python's {@code format(v, "1.5g")}: 5 significant digits, correctly rounded (half to even on
   * the exact binary value), trailing zeros dropped, exponent notation below 1e-4 and from 1e5.
   */
  static String general(double v) {
    if (Double.isNaN(v)) {
      return "nan";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "inf" : "-inf";
    }
    if (v == 0) {
      return (1 / v < 0) ? "-0" : "0";
    }
    BigDecimal rounded = new BigDecimal(v).round(new MathContext(5, RoundingMode.HALF_EVEN));
    int exponent = rounded.precision() - rounded.scale() - 1;
    if (exponent < -4 || exponent >= 5) {
      BigDecimal mantissa = rounded.movePointLeft(exponent);
      String digits = strip(mantissa.toPlainString());
      return digits + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
    }
    return strip(rounded.toPlainString());
  }

  private static String strip(String plain) {
    if (!plain.contains(".")) {
      return plain;
    }
    String s = plain.replaceAll("0+$", "");
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }

  private static String row(int first, String name, List<String> cells) {
    StringBuilder sb = new StringBuilder(String.format("%-" + first + "s", name));
    for (String c : cells) {
      sb.append(String.format("%-" + WIDTH + "s", c));
    }
    return sb.toString().stripTrailing();
  }
}
