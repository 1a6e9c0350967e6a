package io.maskstream.trainer.eval.mot;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A MOTChallenge text file: one box per line, {@code frame,id,left,top,width,height,conf,x,y,z},
 * frames from 1 (ground truth and tracker output alike). The first six values place the box; the
 * others must be numbers when present (the confidence of tracker output, MOTChallenge 16/17/20
 * ground truth's flag, class and visibility, which only {@link MotPreprocess} reads, or -1).
 * Immutable.
 *
 * <p>Stricter than TrackEval, which truncates: frames must be whole numbers from 1, ids whole
 * numbers from 0 (a detections file with id -1 is not tracker output), sizes not negative, and an
 * id may appear once per frame. Every problem is reported as {@code file:line: what is wrong}.
 *
 * @param source the file name used in messages
 * @param boxes the boxes in file order
 */
public record MotFile(String source, List<MotFile.Box> boxes) {
  private static final Pattern NUMBER =
      Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

  /** Copies the list. */
  public MotFile {
    boxes = List.copyOf(boxes);
  }

  /**
   * One line of the file.
   *
   * @param frame the frame, from 1
   * @param id the track id
   * @param left x of the left edge
   * @param top y of the top edge
   * @param width box width
   * @param height box height
   * @param extra the values after the sixth ({@code conf, x, y, z}), possibly none
   * @param line the line number, from 1
   */
  public record Box(
      int frame,
      int id,
      double left,
      double top,
      double width,
      double height,
      double[] extra,
      int line) {}

  /**
   * Reads a file.
   *
   * @throws MotFormatException if the file cannot be read or a line is malformed
   */
  public static MotFile read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new MotFormatException(file + " does not exist or is not a file");
    }
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return parse(file.toString(), in);
    } catch (IOException e) {
      throw new MotFormatException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Parses the text of a file; {@code source} names it in messages.
   *
   * @throws MotFormatException if a line is malformed
   */
  public static MotFile parse(String source, String text) {
    try {
      return parse(source, new StringReader(text));
    } catch (IOException e) {
      throw new IllegalStateException(e); // a string does not fail to read
    }
  }

  private static MotFile parse(String source, Reader reader) throws IOException {
    BufferedReader in = reader instanceof BufferedReader b ? b : new BufferedReader(reader);
    List<Box> boxes = new ArrayList<>();
    // frame -> (id -> line), for ids seen twice in one frame
    Map<Integer, Map<Integer, Integer>> seen = new HashMap<>();
    int lineNo = 0;
    for (String text; (text = in.readLine()) != null; ) {
      lineNo++;
      if (lineNo == 1 && text.startsWith("\uFEFF")) {
        text = text.substring(1);
      }
      if (text.isBlank()) {
        continue;
      }
      Box box = parseLine(source, lineNo, text);
      Integer earlier = seen.computeIfAbsent(box.frame, f -> new HashMap<>()).put(box.id, lineNo);
      if (earlier != null) {
        throw new MotFormatException(
            where(source, lineNo)
                + "id "
                + box.id
                + " appears twice in frame "
                + box.frame
                + " (also on line "
                + earlier
                + "): an id names one object per frame");
      }
      boxes.add(box);
    }
    return new MotFile(source, boxes);
  }

  private static Box parseLine(String source, int lineNo, String text) {
    String[] fields = text.split(",", -1);
    int n = fields.length;
    if (n > 1 && fields[n - 1].isBlank()) {
      n--; // a trailing comma, as TrackEval allows
    }
    if (n < 6) {
      throw new MotFormatException(
          where(source, lineNo)
              + "expected at least 6 comma-separated values (frame,id,left,top,width,height,...),"
              + " got "
              + n);
    }
    double[] values = new double[n];
    for (int i = 0; i < n; i++) {
      values[i] = number(source, lineNo, i, fields[i].strip());
    }
    double frame = values[0];
    if (frame != Math.rint(frame) || frame < 1 || frame > Integer.MAX_VALUE) {
      throw new MotFormatException(
          where(source, lineNo) + "frame must be a whole number from 1, got " + fields[0].strip());
    }
    double id = values[1];
    if (id != Math.rint(id) || id < 0 || id > Integer.MAX_VALUE) {
      throw new MotFormatException(
          where(source, lineNo)
              + "id must be a whole number from 0, got "
              + fields[1].strip()
              + (id < 0 ? " (tracker output needs track ids; is this a detections file?)" : ""));
    }
    if (values[4] < 0 || values[5] < 0) {
      throw new MotFormatException(
          where(source, lineNo)
              + "width and height must not be negative, got "
              + fields[4].strip()
              + " x "
              + fields[5].strip());
    }
    double[] extra = new double[n - 6];
    System.arraycopy(values, 6, extra, 0, extra.length);
    return new Box(
        (int) frame, (int) id, values[2], values[3], values[4], values[5], extra, lineNo);
  }

  private static double number(String source, int lineNo, int column, String field) {
    if (!NUMBER.matcher(field).matches()) {
      throw new MotFormatException(
          where(source, lineNo)
              + (field.isEmpty()
                  ? column(column) + " is empty"
                  : column(column) + " is not a number: '" + shorten(field) + "'"));
    }
    double v = Double.parseDouble(field);
    if (!Double.isFinite(v)) {
      throw new MotFormatException(where(source, lineNo) + column(column) + " is too large");
    }
    return v;
  }

  private static final String[] NAMES = {"frame", "id", "left", "top", "width", "height", "conf"};

  private static String column(int index) {
    return index < NAMES.length
        ? NAMES[index] + " (column " + (index + 1) + ")"
        : "column " + (index + 1);
  }

  private static String shorten(String s) {
    return s.length() <= 20 ? s : s.substring(0, 20) + "...";
  }

  private static String where(String source, int line) {
    return source + ":" + line + ": ";
  }

  /** The last frame with a box, 0 for an empty file. */
  public int lastFrame() {
    int last = 0;
    for (Box b : boxes) {
      last = Math.max(last, b.frame);
    }
    return last;
  }

  /**
   * Lines whose 7th value is 0: MOTChallenge ground truth marks boxes to ignore so. This format
   * counts them like any other (see {@link MotEvaluator}).
   */
  public long zeroMarked() {
    return boxes.stream().filter(b -> b.extra.length > 0 && b.extra[0] == 0).count();
  }
}
