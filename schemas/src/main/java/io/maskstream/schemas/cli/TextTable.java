package io.maskstream.schemas.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * A plain-text table for commands' output: a header and rows of cells, columns as wide as their
 * widest cell, two spaces apart; columns named in {@link #TextTable(List, int...)} are aligned to
 * the right (numbers), the others to the left. Trailing spaces are cut. Not thread-safe.
 */
public final class TextTable {
  private final List<String> header;
  private final boolean[] right;
  private final List<List<String>> rows = new ArrayList<>();

  /**
   * A table with these column titles.
   *
   * @param rightAligned indexes of the columns aligned to the right
   */
  public TextTable(List<String> header, int... rightAligned) {
    this.header = List.copyOf(header);
    this.right = new boolean[header.size()];
    for (int i : rightAligned) {
      right[i] = true;
    }
  }

  /**
   * Adds a row; missing cells are empty.
   *
   * @throws IllegalArgumentException for more cells than columns
   */
  public TextTable add(String... cells) {
    if (cells.length > header.size()) {
      throw new IllegalArgumentException(
          cells.length + " cells for " + header.size() + " columns " + header);
    }
    List<String> row = new ArrayList<>();
    for (int i = 0; i < header.size(); i++) {
      row.add(i < cells.length && cells[i] != null ? cells[i] : "");
    }
    rows.add(row);
    return this;
  }

  /** The header line and one line per row, each prefixed by {@code indent}. */
  public List<String> lines(String indent) {
    int[] width = new int[header.size()];
    for (int c = 0; c < width.length; c++) {
      width[c] = header.get(c).length();
      for (List<String> row : rows) {
        width[c] = Math.max(width[c], row.get(c).length());
      }
    }
    List<String> out = new ArrayList<>();
    out.add(line(indent, header, width));
    for (List<String> row : rows) {
      out.add(line(indent, row, width));
    }
    return out;
  }

  private String line(String indent, List<String> cells, int[] width) {
    StringBuilder b = new StringBuilder(indent);
    for (int c = 0; c < cells.size(); c++) {
      if (c > 0) {
        b.append("  ");
      }
      String cell = cells.get(c);
      String pad = " ".repeat(width[c] - cell.length());
      b.append(right[c] ? pad + cell : cell + pad);
    }
    return b.toString().stripTrailing();
  }
}
