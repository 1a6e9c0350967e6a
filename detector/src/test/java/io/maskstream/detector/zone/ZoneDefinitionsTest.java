package io.maskstream.detector.zone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.maskstream.schemas.avro.LineDefinition;
import io.maskstream.schemas.avro.Point;
import io.maskstream.schemas.avro.ZoneAnchor;
import io.maskstream.schemas.avro.ZoneDefinition;
import io.maskstream.schemas.avro.ZoneSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ZoneDefinitionsTest {
  private static final Instant NOW = Instant.parse("2025-05-01T10:00:00.123456Z");

  static final String EXAMPLE =
      """
      zones:
        - name: dock
          polygon: [[0.1, 0.5], [0.6, 0.5], [0.6, 1.0], [0.1, 1.0]]
          relative: true          # default false: frame pixels
          anchor: bottom-center   # bottom-center (default) | center | mask
          mask-share: 0.5         # with anchor mask: share of the mask's pixels inside
          classes: [person]       # default: every class
          min-frames: 3           # default 3
          loiter-seconds: 30      # default: none
      lines:
        - name: gate
          start: [100, 400]
          end: [540, 400]
          relative: false
          anchor: bottom-center   # bottom-center | center (mask is refused for lines)
          classes: [car]
          min-frames: 3
          in: northbound          # name of the left-to-right direction (default "in")
          out: southbound         # default "out"
      """;

  @Test
  void readsTheFullExample() {
    ZoneSet set = ZoneDefinitions.parseYaml("gate-1", EXAMPLE, NOW);
    assertThat(set.getCamera()).isEqualTo("gate-1");
    assertThat(set.getUpdatedAt()).isEqualTo(Instant.parse("2025-05-01T10:00:00.123Z"));
    ZoneDefinition dock = set.getZones().get(0);
    assertThat(dock.getName()).isEqualTo("dock");
    assertThat(dock.getPolygon())
        .containsExactly(p(0.1, 0.5), p(0.6, 0.5), p(0.6, 1.0), p(0.1, 1.0));
    assertThat(dock.getRelative()).isTrue();
    assertThat(dock.getAnchor()).isEqualTo(ZoneAnchor.BOTTOM_CENTER);
    assertThat(dock.getMaskShare()).isEqualTo(0.5f);
    assertThat(dock.getClasses()).containsExactly("person");
    assertThat(dock.getMinFrames()).isEqualTo(3);
    assertThat(dock.getLoiterSeconds()).isEqualTo(30.0);
    LineDefinition gate = set.getLines().get(0);
    assertThat(gate.getName()).isEqualTo("gate");
    assertThat(gate.getStart()).isEqualTo(p(100, 400));
    assertThat(gate.getEnd()).isEqualTo(p(540, 400));
    assertThat(gate.getRelative()).isFalse();
    assertThat(gate.getAnchor()).isEqualTo(ZoneAnchor.BOTTOM_CENTER);
    assertThat(gate.getClasses()).containsExactly("car");
    assertThat(gate.getMinFrames()).isEqualTo(3);
    assertThat(gate.getInName()).isEqualTo("northbound");
    assertThat(gate.getOutName()).isEqualTo("southbound");
  }

  @Test
  void unsetKeysTakeTheDefaults() {
    ZoneSet set =
        ZoneDefinitions.parseYaml(
            "cam",
            """
            zones:
              - name: yard
                polygon: [[0, 0], [100, 0], [100, 80]]
            lines:
              - name: door
                start: [0, 10]
                end: [50, 10]
            """,
            NOW);
    ZoneDefinition yard = set.getZones().get(0);
    assertThat(yard.getRelative()).isFalse();
    assertThat(yard.getAnchor()).isEqualTo(ZoneAnchor.BOTTOM_CENTER);
    assertThat(yard.getMaskShare()).isEqualTo(0.5f);
    assertThat(yard.getClasses()).isEmpty();
    assertThat(yard.getMinFrames()).isEqualTo(3);
    assertThat(yard.getLoiterSeconds()).isNull();
    LineDefinition door = set.getLines().get(0);
    assertThat(door.getRelative()).isFalse();
    assertThat(door.getAnchor()).isEqualTo(ZoneAnchor.BOTTOM_CENTER);
    assertThat(door.getClasses()).isEmpty();
    assertThat(door.getMinFrames()).isEqualTo(3);
    assertThat(door.getInName()).isEqualTo("in");
    assertThat(door.getOutName()).isEqualTo("out");
  }

  @Test
  void onlyZonesOrOnlyLinesAreEnough() {
    assertThat(
            ZoneDefinitions.parseYaml("cam", "lines: [{name: a, start: [0, 0], end: [1, 1]}]", NOW)
                .getZones())
        .isEmpty();
    assertThat(
            ZoneDefinitions.parseYaml(
                    "cam", "zones: [{name: a, polygon: [[0, 0], [1, 0], [1, 1]]}]", NOW)
                .getLines())
        .isEmpty();
  }

  @Test
  void roundTripsThroughItsYaml() {
    ZoneSet example = ZoneDefinitions.parseYaml("gate-1", EXAMPLE, NOW);
    String yaml = ZoneDefinitions.toYaml(example);
    assertThat(yaml)
        .contains("polygon:\n      - [0.1, 0.5]")
        .contains("start: [100, 400]")
        .contains("classes: [person]");
    assertThat(ZoneDefinitions.parseYaml("gate-1", yaml, NOW)).isEqualTo(example);

    ZoneSet odd =
        ZoneDefinitions.parseYaml(
            "cam.2",
            """
            zones:
              - name: "123"
                polygon: [[0.25, 0.125], [0.75, 0.3], [0.5, 0.9]]
                relative: true
                anchor: mask
                mask-share: 0.3
                classes: ["traffic light", "yes", "null", "a: b", "#x"]
                min-frames: 1000
                loiter-seconds: 2.5
              - name: _pixels
                polygon: [[0, 0], [1920.5, 0], [1920.5, 1080]]
                anchor: center
                mask-share: 0.7
            lines:
              - name: l
                start: [0.0001, 0]
                end: [1, 1e-7]
                relative: true
                anchor: center
                in: "true"
                out: "in: 'x' \\"y\\""
            """,
            NOW);
    String oddYaml = ZoneDefinitions.toYaml(odd);
    assertThat(ZoneDefinitions.parseYaml("cam.2", oddYaml, Instant.EPOCH))
        .usingRecursiveComparison()
        .ignoringFields("updatedAt")
        .isEqualTo(odd);
    assertThat(ZoneDefinitions.parseYaml("cam.2", oddYaml, NOW)).isEqualTo(odd);
  }

  @Test
  void unknownKeysAreRefusedByName() {
    assertThatThrownBy(
            () ->
                ZoneDefinitions.parseYaml(
                    "cam",
                    """
                    zones:
                      - name: dock
                        polygon: [[0, 0], [1, 0], [1, 1]]
                        colour: red
                    """,
                    NOW))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("zones[0] at line 4, column 13: unknown key 'colour'")
        .hasMessageContaining("known: anchor, classes, loiter-seconds, mask-share, min-frames")
        .hasMessageNotContaining("\n");
    assertThatThrownBy(() -> ZoneDefinitions.parseYaml("cam", "zone: []", NOW))
        .hasMessageStartingWith("top level at line 1")
        .hasMessageContaining("unknown key 'zone' (known: lines, zones)");
    assertThatThrownBy(
            () ->
                ZoneDefinitions.parseYaml(
                    "cam", "lines: [{name: a, start: [0, 0], end: [1, 1], minFrames: 2}]", NOW))
        .hasMessageContaining("unknown key 'minFrames'");
  }

  static Stream<Arguments> parseErrors() {
    return Stream.of(
        Arguments.of(
            "zones:\n  - name: a\n    polygon: [[0, 0], [1, 0], [1, 1]]\n    min-frames: lots\n",
            "zones[0].min-frames at line 4, column 17: expected a whole number"),
        Arguments.of(
            "zones:\n  - name: a\n    polygon: [[0, 0], [1, 0], [1, 1]]\n    min-frames: 2.5\n",
            "zones[0].min-frames at line 4, column 17: expected a whole number"),
        Arguments.of(
            "zones:\n  - name: a\n    polygon: [[0, 0], [1, 0], [1, 1]]\n    relative: maybe\n",
            "zones[0].relative at line 4, column 15: expected true or false"),
        Arguments.of(
            "zones:\n  - name: a\n    polygon: [[0, 0], [1, 0], [1, 1]]\n    anchor: feet\n",
            "zones[0].anchor at line 4, column 13: expected one of bottom-center, center, mask"),
        Arguments.of(
            "zones:\n  - name: a\n    polygon: [[0, 0], [1, 0, 2], [1, 1]]\n",
            "zones[0].polygon[1] at line 3"),
        Arguments.of(
            "lines:\n  - name: a\n    start: 5\n    end: [1, 1]\n", "lines[0].start at line 3"),
        Arguments.of("zones: 3\n", "zones at line 1, column 8: expected a list"),
        Arguments.of(
            "zones:\n  - name: 'dock\n", "line 3, column 1: not valid YAML: found unexpected end"),
        Arguments.of(
            "zones:\n  - name: a\n    name: b\n    polygon: [[0, 0], [1, 0], [1, 1]]\n",
            "zones[0] at line 3, column 9: key 'name' is given twice: keep one"),
        Arguments.of("just text\n", "expected a mapping with 'zones:' and 'lines:' lists"),
        Arguments.of("zones:\n  - name: a\n", "zone \"a\": 'polygon' is missing: give its corners"),
        Arguments.of("lines:\n  - name: a\n    start: [0, 0]\n", "line \"a\": 'end' is missing"),
        Arguments.of("zones:\n  -\n", "zones[0] is empty"));
  }

  @ParameterizedTest
  @MethodSource("parseErrors")
  void parseErrorsAreOneLineWithWhere(String yaml, String message) {
    assertThatThrownBy(() -> ZoneDefinitions.parseYaml("cam", yaml, NOW))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message)
        .hasMessageNotContaining("\n");
  }

  // ------------------------------------------------------------------ the rules

  private static Point p(double x, double y) {
    return Point.newBuilder().setX(x).setY(y).build();
  }

  private static List<Point> polygon(double... xy) {
    List<Point> points = new ArrayList<>();
    for (int i = 0; i < xy.length; i += 2) {
      points.add(p(xy[i], xy[i + 1]));
    }
    return points;
  }

  private static ZoneDefinition.Builder zone(String name) {
    return ZoneDefinition.newBuilder()
        .setName(name)
        .setAnchor(ZoneAnchor.BOTTOM_CENTER)
        .setPolygon(polygon(0, 0, 100, 0, 100, 100));
  }

  private static LineDefinition.Builder line(String name) {
    return LineDefinition.newBuilder()
        .setName(name)
        .setAnchor(ZoneAnchor.BOTTOM_CENTER)
        .setStart(p(0, 50))
        .setEnd(p(100, 50));
  }

  private static ZoneSet set(String camera, List<ZoneDefinition> zones, List<LineDefinition> l) {
    return ZoneSet.newBuilder()
        .setCamera(camera)
        .setUpdatedAt(NOW)
        .setZones(zones)
        .setLines(l)
        .build();
  }

  private static ZoneSet zones(ZoneDefinition.Builder... zones) {
    return set("cam", Stream.of(zones).map(ZoneDefinition.Builder::build).toList(), List.of());
  }

  private static ZoneSet lines(LineDefinition.Builder... lines) {
    return set("cam", List.of(), Stream.of(lines).map(LineDefinition.Builder::build).toList());
  }

  static Stream<Arguments> brokenRules() {
    List<ZoneDefinition> sixtyFive = new ArrayList<>();
    for (int i = 0; i < 65; i++) {
      sixtyFive.add(zone("z" + i).build());
    }
    double[] many = new double[2 * 257];
    for (int i = 0; i < 257; i++) {
      double a = 2 * Math.PI * i / 257;
      many[2 * i] = 500 + 400 * Math.cos(a);
      many[2 * i + 1] = 500 + 400 * Math.sin(a);
    }
    return Stream.of(
        Arguments.of(
            "camera id",
            set("bad camera", List.of(zone("a").build()), List.of()),
            "camera id 'bad camera' breaks the id rules: use 1-64 characters"),
        Arguments.of(
            "nothing", set("cam", List.of(), List.of()), "camera cam: no zones and no lines"),
        Arguments.of(
            "too many", set("cam", sixtyFive, List.of()), "above the limit of 64 together"),
        Arguments.of("name characters", zones(zone("the dock")), "zone #1: name 'the dock' breaks"),
        Arguments.of("empty name", lines(line("")), "line #1: name '' breaks the name rules"),
        Arguments.of("long name", zones(zone("x".repeat(65))), "name 'xxxxxxxxxxxxxxxx"),
        Arguments.of(
            "name twice",
            set("cam", List.of(zone("a").build()), List.of(line("a").build())),
            "line \"a\": the name is used twice"),
        Arguments.of(
            "two points",
            zones(zone("dock").setPolygon(polygon(0, 0, 1, 1))),
            "zone \"dock\": a polygon needs at least 3 points, got 2"),
        Arguments.of(
            "257 points",
            zones(zone("dock").setPolygon(polygon(many))),
            "zone \"dock\": a polygon has at most 256 points, got 257"),
        Arguments.of(
            "bow tie",
            zones(zone("dock").setPolygon(polygon(0, 0, 100, 100, 100, 0, 0, 100))),
            "zone \"dock\": the polygon crosses itself (its edge from point 1 to 2 meets the"
                + " edge from point 3 to 4)"),
        Arguments.of(
            "repeated point",
            zones(zone("dock").setPolygon(polygon(0, 0, 100, 0, 100, 0, 100, 100))),
            "zone \"dock\": points 2 and 3 are the same"),
        Arguments.of(
            "no area",
            zones(zone("dock").setPolygon(polygon(0, 0, 50, 50, 100, 100))),
            "zone \"dock\": the polygon has no area"),
        Arguments.of(
            "not finite",
            zones(zone("dock").setPolygon(polygon(0, 0, Double.NaN, 0, 100, 100))),
            "zone \"dock\": point 2 [NaN, 0.0] is not a pair of finite numbers"),
        Arguments.of(
            "relative above 1",
            zones(zone("dock").setRelative(true).setPolygon(polygon(0, 0, 1.5, 0, 1, 1))),
            "zone \"dock\": point 2 [1.5, 0] is outside the frame: relative coordinates"),
        Arguments.of(
            "negative pixel",
            lines(line("gate").setStart(p(-1, 0))),
            "line \"gate\": start [-1, 0] is outside the frame: pixel coordinates are from 0 to"
                + " 100000"),
        Arguments.of(
            "pixel too large",
            lines(line("gate").setEnd(p(100001, 0))),
            "line \"gate\": end [100001, 0] is outside the frame"),
        Arguments.of(
            "line of one point",
            lines(line("gate").setStart(p(5, 5)).setEnd(p(5, 5))),
            "line \"gate\": start and end are the same point"),
        Arguments.of(
            "min-frames 0",
            zones(zone("dock").setMinFrames(0)),
            "zone \"dock\": min-frames must be from 1 to 1000, got 0"),
        Arguments.of(
            "min-frames 1001",
            lines(line("gate").setMinFrames(1001)),
            "line \"gate\": min-frames must be from 1 to 1000, got 1001"),
        Arguments.of(
            "mask-share 0",
            zones(zone("dock").setMaskShare(0f)),
            "zone \"dock\": mask-share must be above 0 and at most 1, got 0.0"),
        Arguments.of(
            "mask-share above 1",
            zones(zone("dock").setMaskShare(1.5f)),
            "mask-share must be above 0 and at most 1, got 1.5"),
        Arguments.of(
            "loiter 0",
            zones(zone("dock").setLoiterSeconds(0.0)),
            "zone \"dock\": loiter-seconds must be a positive number of seconds, got 0.0"),
        Arguments.of(
            "loiter infinite",
            zones(zone("dock").setLoiterSeconds(Double.POSITIVE_INFINITY)),
            "loiter-seconds must be a positive number of seconds, got Infinity"),
        Arguments.of(
            "mask anchor on a line",
            lines(line("gate").setAnchor(ZoneAnchor.MASK)),
            "line \"gate\": a line's anchor is bottom-center or center, got mask"),
        Arguments.of(
            "empty class",
            zones(zone("dock").setClasses(List.of("person", " "))),
            "zone \"dock\": a class name is empty"),
        Arguments.of(
            "empty in",
            lines(line("gate").setInName("")),
            "line \"gate\": the 'in' direction has no name"),
        Arguments.of(
            "long out",
            lines(line("gate").setOutName("o".repeat(65))),
            "line \"gate\": the 'out' direction's name has 65 characters, above the limit of 64"),
        Arguments.of(
            "in equals out",
            lines(line("gate").setInName("both").setOutName("both")),
            "line \"gate\": in and out are both 'both': give the two directions different"
                + " names"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("brokenRules")
  void eachRuleIsRefusedWithWhatToDo(String rule, ZoneSet set, String message) {
    assertThatThrownBy(() -> ZoneDefinitions.validate(set))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message)
        .hasMessageNotContaining("\n");
  }

  @Test
  void theLimitsThemselvesPass() {
    List<ZoneDefinition> sixtyFour = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      sixtyFour.add(zone("z" + i).build());
    }
    ZoneDefinitions.validate(set("cam", sixtyFour, List.of()));
    double[] corners = new double[2 * 256];
    for (int i = 0; i < 256; i++) {
      double a = 2 * Math.PI * i / 256;
      corners[2 * i] = 0.5 + 0.5 * Math.cos(a);
      corners[2 * i + 1] = 0.5 + 0.5 * Math.sin(a);
    }
    ZoneDefinitions.validate(
        set(
            "c".repeat(64),
            List.of(
                zone("x".repeat(64))
                    .setRelative(true)
                    .setPolygon(polygon(corners))
                    .setMaskShare(1f)
                    .setMinFrames(1000)
                    .setLoiterSeconds(0.001)
                    .build()),
            List.of(
                line("l")
                    .setStart(p(0, 0))
                    .setEnd(p(100000, 100000))
                    .setMinFrames(1)
                    .setInName("i".repeat(64))
                    .build())));
    // a concave polygon whose non-neighbouring edges come close but do not meet
    ZoneDefinitions.validate(
        zones(
            zone("u")
                .setPolygon(polygon(0, 0, 30, 0, 30, 80, 31, 80, 31, 0, 60, 0, 60, 100, 0, 100))));
  }

  @Test
  void readingAppliesTheRules() {
    assertThatThrownBy(
            () ->
                ZoneDefinitions.parseYaml(
                    "cam", "zones:\n  - name: dock\n    polygon: [[0, 0], [1, 1]]\n", NOW))
        .hasMessage("zone \"dock\": a polygon needs at least 3 points, got 2");
    assertThatThrownBy(
            () ->
                ZoneDefinitions.parseYaml(
                    "cam",
                    "lines:\n  - name: gate\n    start: [0, 0]\n    end: [1, 1]\n    anchor: mask\n",
                    NOW))
        .hasMessageContaining("a line's anchor is bottom-center or center, got mask");
    assertThatThrownBy(() -> ZoneDefinitions.parseYaml("cam", "", NOW))
        .hasMessageContaining("no zones and no lines");
    assertThatThrownBy(() -> ZoneDefinitions.parseYaml("cam", "# nothing yet\n", NOW))
        .hasMessageContaining("no zones and no lines");
  }
}
