package io.maskstream.detector.zone;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.maskstream.schemas.CameraIds;
import io.maskstream.schemas.avro.LineDefinition;
import io.maskstream.schemas.avro.Point;
import io.maskstream.schemas.avro.ZoneAnchor;
import io.maskstream.schemas.avro.ZoneDefinition;
import io.maskstream.schemas.avro.ZoneSet;
import java.awt.geom.Line2D;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * A camera's zones and lines as users write them: the YAML file of {@code maskstream zones set} and
 * {@code zones show}, and the rules every {@link ZoneSet} must follow, also one read from the zones
 * topic.
 *
 * <pre>{@code
 * zones:
 *   - name: dock
 *     polygon: [[0.1, 0.5], [0.6, 0.5], [0.6, 1.0], [0.1, 1.0]]
 *     relative: true          # default false: frame pixels
 *     anchor: bottom-center   # bottom-center (default) | center | mask
 *     mask-share: 0.5         # with anchor mask: share of the mask's pixels inside (default 0.5)
 *     classes: [person]       # default: every class
 *     min-frames: 3           # default 3
 *     loiter-seconds: 30      # default: none
 * lines:
 *   - name: gate
 *     start: [100, 400]
 *     end: [540, 400]
 *     relative: false
 *     anchor: bottom-center   # bottom-center | center
 *     classes: [car]
 *     min-frames: 3
 *     in: northbound          # name of the left-to-right direction (default "in")
 *     out: southbound         # default "out"
 * }</pre>
 *
 * <p>Every problem is an {@link IllegalArgumentException} with a one-line message that says what is
 * wrong and what to do.
 */
public final class ZoneDefinitions {
  /** The most zones and lines a camera may have together. */
  public static final int MAX_DEFINITIONS = 64;

  /** The most corners a zone's polygon may have. */
  public static final int MAX_CORNERS = 256;

  /** The largest pixel coordinate. */
  public static final double MAX_PIXEL = 100_000;

  /** The most frames in a row {@code min-frames} may ask for. */
  public static final int MAX_MIN_FRAMES = 1000;

  /** The longest direction name of a line. */
  public static final int MAX_DIRECTION_NAME = 64;

  /** The rule every zone and line name follows. */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  private static final String NAME_RULE = "use 1-64 characters from A-Z a-z 0-9 . _ -";

  private static final ObjectMapper READER =
      new ObjectMapper(
              YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build())
          .setPropertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

  static {
    // "- " with nothing after it is an empty entry, reported as such
    for (Class<?> entry : List.of(ZoneModel.class, LineModel.class)) {
      READER
          .coercionConfigFor(entry)
          .setCoercion(CoercionInputShape.EmptyString, CoercionAction.AsNull);
    }
  }

  private ZoneDefinitions() {}

  // ---------------------------------------------------------------- the file's structure

  // Classes with fields rather than records: Jackson reports an unknown key of a bean where it
  // stands, while a record's unknown keys are only reported after its last key.

  /** The file: unknown keys are errors. */
  static final class FileModel {
    public List<ZoneModel> zones;
    public List<LineModel> lines;
  }

  /** One zone of the file; {@code null} means not given. */
  static final class ZoneModel {
    public String name;

    @JsonDeserialize(contentUsing = PointReader.class)
    public List<Point> polygon;

    public Boolean relative;
    public AnchorName anchor;
    public Float maskShare;
    public List<String> classes;
    public Integer minFrames;
    public Double loiterSeconds;
  }

  /** One line of the file; {@code null} means not given. */
  static final class LineModel {
    public String name;

    @JsonDeserialize(using = PointReader.class)
    public Point start;

    @JsonDeserialize(using = PointReader.class)
    public Point end;

    public Boolean relative;
    public AnchorName anchor;
    public List<String> classes;
    public Integer minFrames;
    public String in;
    public String out;
  }

  /** The anchors as the file spells them. */
  enum AnchorName {
    @JsonProperty("bottom-center")
    BOTTOM_CENTER,
    @JsonProperty("center")
    CENTER,
    @JsonProperty("mask")
    MASK;

    ZoneAnchor toAvro() {
      return ZoneAnchor.valueOf(name());
    }

    static String spelling(ZoneAnchor anchor) {
      return anchor.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /** A point as {@code [x, y]}: two numbers. */
  static final class PointReader extends StdDeserializer<Point> {
    private static final long serialVersionUID = 1L;

    PointReader() {
      super(Point.class);
    }

    @Override
    public Point deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      JsonNode node = ctxt.readTree(p);
      if (node == null
          || !node.isArray()
          || node.size() != 2
          || !node.get(0).isNumber()
          || !node.get(1).isNumber()) {
        return ctxt.reportInputMismatch(
            this, "a point is two numbers [x, y], got %s", node == null ? "nothing" : node);
      }
      return Point.newBuilder()
          .setX(node.get(0).doubleValue())
          .setY(node.get(1).doubleValue())
          .build();
    }
  }

  // ---------------------------------------------------------------- reading

  /**
   * The zones and lines of {@code yaml} for {@code camera}, stored at {@code now}; unset keys take
   * the schema's defaults.
   *
   * @throws IllegalArgumentException with a one-line message for bad YAML, an unknown key, a value
   *     of the wrong type, or definitions that break a rule of {@link #validate}
   */
  public static ZoneSet parseYaml(String camera, String yaml, Instant now) {
    FileModel file;
    try (JsonParser parser = READER.createParser(yaml)) {
      // a file of nothing but comments is empty, not an error of the format
      file = parser.nextToken() == null ? null : READER.readValue(parser, FileModel.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(describe(e), e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<ZoneDefinition> zones = new ArrayList<>();
    List<LineDefinition> lines = new ArrayList<>();
    if (file != null && file.zones != null) {
      int index = 0;
      for (ZoneModel zone : file.zones) {
        if (zone == null) {
          throw new IllegalArgumentException(
              "zones[" + index + "] is empty: give its name, polygon");
        }
        zones.add(toAvro(zone, index++));
      }
    }
    if (file != null && file.lines != null) {
      int index = 0;
      for (LineModel line : file.lines) {
        if (line == null) {
          throw new IllegalArgumentException(
              "lines[" + index + "] is empty: give its name, start, end");
        }
        lines.add(toAvro(line, index++));
      }
    }
    ZoneSet set =
        ZoneSet.newBuilder()
            .setCamera(camera)
            .setUpdatedAt(now.truncatedTo(ChronoUnit.MILLIS))
            .setZones(zones)
            .setLines(lines)
            .build();
    validate(set);
    return set;
  }

  private static ZoneDefinition toAvro(ZoneModel zone, int index) {
    ZoneDefinition.Builder b = ZoneDefinition.newBuilder();
    b.setName(zone.name);
    if (zone.polygon == null) {
      throw new IllegalArgumentException(
          label("zone", zone.name, index)
              + ": 'polygon' is missing: give its corners [[x, y], ...]");
    }
    b.setPolygon(new ArrayList<>(zone.polygon));
    if (zone.relative != null) {
      b.setRelative(zone.relative);
    }
    b.setAnchor(anchor(zone.anchor));
    if (zone.maskShare != null) {
      b.setMaskShare(zone.maskShare);
    }
    if (zone.classes != null) {
      b.setClasses(new ArrayList<>(zone.classes));
    }
    if (zone.minFrames != null) {
      b.setMinFrames(zone.minFrames);
    }
    b.setLoiterSeconds(zone.loiterSeconds);
    return b.build();
  }

  private static LineDefinition toAvro(LineModel line, int index) {
    LineDefinition.Builder b = LineDefinition.newBuilder();
    b.setName(line.name);
    if (line.start == null || line.end == null) {
      throw new IllegalArgumentException(
          label("line", line.name, index)
              + ": '"
              + (line.start == null ? "start" : "end")
              + "' is missing: give the line's start: [x, y] and end: [x, y]");
    }
    b.setStart(line.start).setEnd(line.end);
    if (line.relative != null) {
      b.setRelative(line.relative);
    }
    b.setAnchor(anchor(line.anchor));
    if (line.classes != null) {
      b.setClasses(new ArrayList<>(line.classes));
    }
    if (line.minFrames != null) {
      b.setMinFrames(line.minFrames);
    }
    if (line.in != null) {
      b.setInName(line.in);
    }
    if (line.out != null) {
      b.setOutName(line.out);
    }
    return b.build();
  }

  /**
   * The anchor given, else the default: set even then, because the builder's copy of an enum
   * default needs Avro to trust the generated classes, which only the serde sets up.
   */
  private static ZoneAnchor anchor(AnchorName given) {
    return given == null ? ZoneAnchor.BOTTOM_CENTER : given.toAvro();
  }

  /** A parse error in one line: where, which key, what. */
  private static String describe(JsonProcessingException e) {
    StringBuilder where = new StringBuilder();
    String path = path(e, e instanceof UnrecognizedPropertyException);
    if (!path.isEmpty()) {
      where.append(path);
    }
    JsonLocation location = e.getLocation();
    if (e instanceof UnrecognizedPropertyException && e.getProcessor() instanceof JsonParser p) {
      location = p.currentTokenLocation(); // the key's line, not where the parser has read to
    }
    int line = location == null ? -1 : location.getLineNr();
    int column = location == null ? -1 : location.getColumnNr();
    MarkedYAMLException yaml = cause(e, MarkedYAMLException.class);
    if (yaml != null && yaml.getProblemMark() != null) {
      line = yaml.getProblemMark().getLine() + 1;
      column = yaml.getProblemMark().getColumn() + 1;
    }
    if (line > 0) {
      where.append(where.length() == 0 ? "" : " at ").append("line ").append(line);
      if (column > 0) {
        where.append(", column ").append(column);
      }
    }
    String what;
    if (e instanceof UnrecognizedPropertyException unknown) {
      what =
          "unknown key '"
              + unknown.getPropertyName()
              + "' (known: "
              + names(unknown.getKnownPropertyIds())
              + ")";
    } else if (e.getOriginalMessage() != null
        && e.getOriginalMessage().startsWith("Duplicate field '")) {
      what = "key '" + e.getOriginalMessage().split("'")[1] + "' is given twice: keep one";
    } else if (yaml != null) {
      what = "not valid YAML: " + yaml.getProblem();
    } else if (e instanceof MismatchedInputException mismatch
        && mismatch.getTargetType() != null
        && !path.isEmpty()) {
      what = "expected " + expected(mismatch.getTargetType()) + detail(e);
    } else if (e instanceof MismatchedInputException mismatch
        && mismatch.getTargetType() == FileModel.class) {
      what = "expected a mapping with 'zones:' and 'lines:' lists";
    } else {
      what = e.getOriginalMessage();
    }
    String message = (where.length() == 0 ? "" : where + ": ") + what;
    return message.replaceAll("\\s*\\R\\s*", " ").strip();
  }

  private static String detail(JsonProcessingException e) {
    String original = e.getOriginalMessage();
    return original != null && original.startsWith("a point is") ? " (" + original + ")" : "";
  }

  private static String expected(Class<?> type) {
    if (type == Integer.class || type == int.class) {
      return "a whole number";
    } else if (type == Double.class || type == Float.class || type == double.class) {
      return "a number";
    } else if (type == Boolean.class || type == boolean.class) {
      return "true or false";
    } else if (type == String.class) {
      return "a text";
    } else if (type == AnchorName.class) {
      return "one of bottom-center, center, mask";
    } else if (type == Point.class) {
      return "a point [x, y]";
    } else if (Collection.class.isAssignableFrom(type)) {
      return "a list";
    }
    return "a mapping of keys";
  }

  private static String names(Collection<Object> known) {
    return known.stream().map(Object::toString).sorted().collect(Collectors.joining(", "));
  }

  /** The keys and indexes to the value in error, e.g. {@code zones[0].min-frames}. */
  private static String path(JsonProcessingException e, boolean dropLast) {
    if (!(e instanceof JsonMappingException mapping)) {
      return "";
    }
    List<JsonMappingException.Reference> refs = mapping.getPath();
    int n = dropLast && !refs.isEmpty() ? refs.size() - 1 : refs.size();
    StringBuilder path = new StringBuilder();
    for (int i = 0; i < n; i++) {
      JsonMappingException.Reference ref = refs.get(i);
      if (ref.getFieldName() != null) {
        path.append(path.length() == 0 ? "" : ".").append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        path.append('[').append(ref.getIndex()).append(']');
      }
    }
    return path.length() == 0 && dropLast ? "top level" : path.toString();
  }

  private static <T extends Throwable> T cause(Throwable e, Class<T> type) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }

  // ---------------------------------------------------------------- writing

  /** {@code set} in the format {@link #parseYaml} reads; the camera and time are not written. */
  public static String toYaml(ZoneSet set) {
    Map<String, Object> file = new LinkedHashMap<>();
    if (!set.getZones().isEmpty()) {
      List<Map<String, Object>> zones = new ArrayList<>();
      for (ZoneDefinition z : set.getZones()) {
        Map<String, Object> zone = new LinkedHashMap<>();
        zone.put("name", z.getName());
        zone.put("polygon", z.getPolygon().stream().map(ZoneDefinitions::point).toList());
        zone.put("relative", z.getRelative());
        zone.put("anchor", AnchorName.spelling(z.getAnchor()));
        if (z.getAnchor() == ZoneAnchor.MASK || z.getMaskShare() != 0.5f) {
          zone.put("mask-share", z.getMaskShare());
        }
        if (!z.getClasses().isEmpty()) {
          zone.put("classes", new ArrayList<>(z.getClasses()));
        }
        zone.put("min-frames", z.getMinFrames());
        if (z.getLoiterSeconds() != null) {
          zone.put("loiter-seconds", number(z.getLoiterSeconds()));
        }
        zones.add(zone);
      }
      file.put("zones", zones);
    }
    if (!set.getLines().isEmpty()) {
      List<Map<String, Object>> lines = new ArrayList<>();
      for (LineDefinition l : set.getLines()) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("name", l.getName());
        line.put("start", point(l.getStart()));
        line.put("end", point(l.getEnd()));
        line.put("relative", l.getRelative());
        line.put("anchor", AnchorName.spelling(l.getAnchor()));
        if (!l.getClasses().isEmpty()) {
          line.put("classes", new ArrayList<>(l.getClasses()));
        }
        line.put("min-frames", l.getMinFrames());
        line.put("in", l.getInName());
        line.put("out", l.getOutName());
        lines.add(line);
      }
      file.put("lines", lines);
    }
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.AUTO);
    options.setIndent(2);
    options.setIndicatorIndent(2);
    options.setIndentWithIndicator(true);
    options.setSplitLines(false);
    options.setWidth(Integer.MAX_VALUE);
    return new Yaml(options).dump(file);
  }

  private static List<Object> point(Point p) {
    return List.of(number(p.getX()), number(p.getY()));
  }

  /** Whole numbers without {@code .0}, as people write pixels. */
  private static Object number(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? (Object) (long) v : (Object) v;
  }

  // ---------------------------------------------------------------- the rules

  /**
   * Checks every rule of a camera's zones and lines; no I/O, so it can check each record read from
   * the zones topic too.
   *
   * @throws IllegalArgumentException with one line that names the zone or line, says what is wrong
   *     and what to do
   */
  public static void validate(ZoneSet set) {
    Objects.requireNonNull(set, "set");
    if (!CameraIds.isValid(set.getCamera())) {
      throw new IllegalArgumentException(
          "camera id "
              + CameraIds.quote(set.getCamera())
              + " breaks the id rules: use "
              + CameraIds.RULE);
    }
    List<ZoneDefinition> zones = set.getZones() == null ? List.of() : set.getZones();
    List<LineDefinition> lines = set.getLines() == null ? List.of() : set.getLines();
    String camera = "camera " + set.getCamera();
    if (zones.isEmpty() && lines.isEmpty()) {
      throw new IllegalArgumentException(
          camera + ": no zones and no lines: give at least one under 'zones:' or 'lines:'");
    }
    if (zones.size() + lines.size() > MAX_DEFINITIONS) {
      throw new IllegalArgumentException(
          camera
              + ": "
              + zones.size()
              + " zones and "
              + lines.size()
              + " lines, above the limit of "
              + MAX_DEFINITIONS
              + " together: use fewer");
    }
    Set<String> names = new HashSet<>();
    for (int i = 0; i < zones.size(); i++) {
      ZoneDefinition zone = zones.get(i);
      if (zone == null) {
        throw new IllegalArgumentException(camera + ": zones[" + i + "] is empty");
      }
      String what = name("zone", zone.getName(), i, names);
      validateZone(what, zone);
    }
    for (int i = 0; i < lines.size(); i++) {
      LineDefinition line = lines.get(i);
      if (line == null) {
        throw new IllegalArgumentException(camera + ": lines[" + i + "] is empty");
      }
      String what = name("line", line.getName(), i, names);
      validateLine(what, line);
    }
  }

  /** Checks the name and returns how messages call the definition, e.g. {@code zone "dock"}. */
  private static String name(String kind, String name, int index, Set<String> names) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          kind
              + " #"
              + (index + 1)
              + ": name "
              + CameraIds.quote(name)
              + " breaks the name rules: "
              + NAME_RULE);
    }
    String what = kind + " \"" + name + "\"";
    if (!names.add(name)) {
      throw new IllegalArgumentException(
          what + ": the name is used twice: zones and lines of a camera need different names");
    }
    return what;
  }

  private static String label(String kind, String name, int index) {
    return name != null && NAME.matcher(name).matches()
        ? kind + " \"" + name + "\""
        : kind + " #" + (index + 1);
  }

  private static void validateZone(String what, ZoneDefinition zone) {
    List<Point> polygon = zone.getPolygon() == null ? List.of() : zone.getPolygon();
    int n = polygon.size();
    if (n < 3) {
      throw new IllegalArgumentException(what + ": a polygon needs at least 3 points, got " + n);
    }
    if (n > MAX_CORNERS) {
      throw new IllegalArgumentException(
          what + ": a polygon has at most " + MAX_CORNERS + " points, got " + n + ": simplify it");
    }
    for (int i = 0; i < n; i++) {
      checkPoint(what, "point " + (i + 1), polygon.get(i), zone.getRelative());
    }
    for (int i = 0; i < n; i++) {
      Point a = polygon.get(i);
      Point b = polygon.get((i + 1) % n);
      if (a.getX() == b.getX() && a.getY() == b.getY()) {
        throw new IllegalArgumentException(
            what
                + ": points "
                + (i + 1)
                + " and "
                + ((i + 1) % n + 1)
                + " are the same: remove one of them");
      }
    }
    // edges that are not neighbours must not meet; edge i joins point i and point i + 1
    for (int i = 0; i < n; i++) {
      Point a1 = polygon.get(i);
      Point a2 = polygon.get((i + 1) % n);
      for (int j = i + 2; j < n; j++) {
        if (i == 0 && j == n - 1) {
          continue; // the last edge ends where the first starts
        }
        Point b1 = polygon.get(j);
        Point b2 = polygon.get((j + 1) % n);
        if (Line2D.linesIntersect(
            a1.getX(), a1.getY(), a2.getX(), a2.getY(), b1.getX(), b1.getY(), b2.getX(),
            b2.getY())) {
          throw new IllegalArgumentException(
              what
                  + ": the polygon crosses itself (its edge from point "
                  + (i + 1)
                  + " to "
                  + ((i + 1) % n + 1)
                  + " meets the edge from point "
                  + (j + 1)
                  + " to "
                  + ((j + 1) % n + 1)
                  + "): list the points in order around the area");
        }
      }
    }
    double area = 0;
    double minX = Double.MAX_VALUE;
    double maxX = -Double.MAX_VALUE;
    double minY = Double.MAX_VALUE;
    double maxY = -Double.MAX_VALUE;
    for (int i = 0; i < n; i++) {
      Point a = polygon.get(i);
      Point b = polygon.get((i + 1) % n);
      area += a.getX() * b.getY() - b.getX() * a.getY();
      minX = Math.min(minX, a.getX());
      maxX = Math.max(maxX, a.getX());
      minY = Math.min(minY, a.getY());
      maxY = Math.max(maxY, a.getY());
    }
    double extent = Math.max(maxX - minX, maxY - minY);
    if (!(Math.abs(area) / 2 > 1e-12 * extent * extent)) {
      throw new IllegalArgumentException(
          what + ": the polygon has no area (its points lie on one line): give an area's corners");
    }
    if (zone.getAnchor() == null) {
      throw new IllegalArgumentException(what + ": no anchor: use bottom-center, center or mask");
    }
    float share = zone.getMaskShare();
    if (!(share > 0 && share <= 1)) {
      throw new IllegalArgumentException(
          what + ": mask-share must be above 0 and at most 1, got " + share);
    }
    checkClasses(what, zone.getClasses());
    checkMinFrames(what, zone.getMinFrames());
    Double loiter = zone.getLoiterSeconds();
    if (loiter != null && !(loiter > 0 && Double.isFinite(loiter))) {
      throw new IllegalArgumentException(
          what
              + ": loiter-seconds must be a positive number of seconds, got "
              + loiter
              + " (leave it out for no loitering)");
    }
  }

  private static void validateLine(String what, LineDefinition line) {
    checkPoint(what, "start", line.getStart(), line.getRelative());
    checkPoint(what, "end", line.getEnd(), line.getRelative());
    if (line.getStart().getX() == line.getEnd().getX()
        && line.getStart().getY() == line.getEnd().getY()) {
      throw new IllegalArgumentException(
          what + ": start and end are the same point: give a line two different ends");
    }
    if (line.getAnchor() == null || line.getAnchor() == ZoneAnchor.MASK) {
      throw new IllegalArgumentException(
          what
              + ": a line's anchor is bottom-center or center, got "
              + (line.getAnchor() == null ? "none" : AnchorName.spelling(line.getAnchor())));
    }
    checkClasses(what, line.getClasses());
    checkMinFrames(what, line.getMinFrames());
    checkDirection(what, "in", line.getInName());
    checkDirection(what, "out", line.getOutName());
    if (line.getInName().equals(line.getOutName())) {
      throw new IllegalArgumentException(
          what
              + ": in and out are both "
              + CameraIds.quote(line.getInName())
              + ": give the two directions different names");
    }
  }

  private static void checkPoint(String what, String which, Point p, boolean relative) {
    if (p == null) {
      throw new IllegalArgumentException(what + ": " + which + " is missing");
    }
    double x = p.getX();
    double y = p.getY();
    if (!Double.isFinite(x) || !Double.isFinite(y)) {
      throw new IllegalArgumentException(
          what + ": " + which + " [" + x + ", " + y + "] is not a pair of finite numbers");
    }
    if (relative && (x < 0 || x > 1 || y < 0 || y > 1)) {
      throw new IllegalArgumentException(
          what
              + ": "
              + which
              + " "
              + pair(x, y)
              + " is outside the frame: relative coordinates are shares of its width and height,"
              + " from 0 to 1");
    }
    if (!relative && (x < 0 || x > MAX_PIXEL || y < 0 || y > MAX_PIXEL)) {
      throw new IllegalArgumentException(
          what
              + ": "
              + which
              + " "
              + pair(x, y)
              + " is outside the frame: pixel coordinates are from 0 to "
              + (long) MAX_PIXEL
              + " (set relative: true for shares of the frame)");
    }
  }

  private static String pair(double x, double y) {
    return "[" + number(x) + ", " + number(y) + "]";
  }

  private static void checkClasses(String what, List<String> classes) {
    if (classes == null) {
      return;
    }
    for (String c : classes) {
      if (c == null || c.isBlank()) {
        throw new IllegalArgumentException(
            what
                + ": a class name is empty: give class names such as person, or leave classes out"
                + " for every class");
      }
    }
  }

  private static void checkMinFrames(String what, int minFrames) {
    if (minFrames < 1 || minFrames > MAX_MIN_FRAMES) {
      throw new IllegalArgumentException(
          what + ": min-frames must be from 1 to " + MAX_MIN_FRAMES + ", got " + minFrames);
    }
  }

  private static void checkDirection(String what, String key, String name) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException(
          what + ": the '" + key + "' direction has no name: give it one, such as northbound");
    }
    if (name.length() > MAX_DIRECTION_NAME) {
      throw new IllegalArgumentException(
          what
              + ": the '"
              + key
              + "' direction's name has "
              + name.length()
              + " characters, above the limit of "
              + MAX_DIRECTION_NAME);
    }
  }
}
