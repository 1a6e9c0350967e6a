package io.maskstream.sinks.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.schemas.avro.ClassCount;
import io.maskstream.schemas.avro.CrossingCount;
import io.maskstream.schemas.avro.LineDefinition;
import io.maskstream.schemas.avro.Point;
import io.maskstream.schemas.avro.ZoneDefinition;
import io.maskstream.schemas.avro.ZoneEvent;
import io.maskstream.schemas.avro.ZoneEventType;
import io.maskstream.schemas.avro.ZoneSet;
import io.maskstream.schemas.internal.TrustedClasses;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ZoneOverlayTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static {
    TrustedClasses.install(); // the builders read the schemas' defaults
  }

  static ZoneSet set(String camera, String zone, String line) {
    return ZoneSet.newBuilder()
        .setCamera(camera)
        .setUpdatedAt(Instant.parse("2026-01-01T00:00:00Z"))
        .setZones(
            zone == null
                ? List.of()
                : List.of(
                    ZoneDefinition.newBuilder()
                        .setName(zone)
                        .setRelative(true)
                        .setPolygon(
                            List.of(new Point(0.1, 0.5), new Point(0.5, 0.5), new Point(0.5, 0.9)))
                        .build()))
        .setLines(
            line == null
                ? List.of()
                : List.of(
                    LineDefinition.newBuilder()
                        .setName(line)
                        .setStart(new Point(10.0, 40.0))
                        .setEnd(new Point(150.0, 40.0))
                        .setInName("entering")
                        .setOutName("leaving")
                        .build()))
        .build();
  }

  static ZoneEvent occupancy(String camera, String zone, Map<String, Long> byClass) {
    return ZoneEvent.newBuilder()
        .setType(ZoneEventType.ENTER)
        .setCamera(camera)
        .setZone(zone)
        .setTrackId(1)
        .setLabel("person")
        .setFrameSequence(1)
        .setFrameTime(Instant.parse("2026-01-01T00:00:01Z"))
        .setOccupancy(
            byClass.entrySet().stream().map(e -> new ClassCount(e.getKey(), e.getValue())).toList())
        .build();
  }

  static ZoneEvent cross(String camera, String line, String direction, long in, long out) {
    return ZoneEvent.newBuilder()
        .setType(ZoneEventType.CROSS)
        .setCamera(camera)
        .setZone(line)
        .setTrackId(2)
        .setLabel("person")
        .setDirection(direction)
        .setFrameSequence(2)
        .setFrameTime(Instant.parse("2026-01-01T00:00:02Z"))
        .setCrossings(
            List.of(
                new CrossingCount("person", "entering", in),
                new CrossingCount("person", "leaving", out)))
        .build();
  }

  /** The zones updates waiting for {@code browser}, by camera. */
  private static Map<String, JsonNode> zones(Broadcaster.Subscriber browser) throws Exception {
    Map<String, JsonNode> out = new LinkedHashMap<>();
    for (Broadcaster.Update u : browser.take(0)) {
      assertThat(u.kind()).isEqualTo(Broadcaster.ZONES);
      out.put(u.camera(), JSON.readTree(u.json()));
    }
    return out;
  }

  @Test
  void aNewZoneSetReplacesTheOldOneAndATombstoneRemovesIt() throws Exception {
    Broadcaster out = new Broadcaster(16);
    ZoneOverlay overlay = new ZoneOverlay(out);
    try (Broadcaster.Subscriber browser = out.subscribe()) {
      overlay.onZoneSet("c", set("c", "dock", "gate"));
      overlay.flush();
      JsonNode u = zones(browser).get("c");
      assertThat(u.get("zones")).hasSize(1);
      assertThat(u.get("zones").get(0).get("name").asText()).isEqualTo("dock");
      assertThat(u.get("zones").get(0).get("relative").asBoolean()).isTrue();
      assertThat(u.get("zones").get(0).get("polygon").get(2).get(1).asDouble()).isEqualTo(0.9);
      assertThat(u.get("zones").get(0).get("occupancy")).isEmpty();
      JsonNode line = u.get("lines").get(0);
      assertThat(line.get("name").asText()).isEqualTo("gate");
      assertThat(line.get("relative").asBoolean()).isFalse();
      assertThat(line.get("start").get(0).asDouble()).isEqualTo(10.0);
      assertThat(line.get("end").get(0).asDouble()).isEqualTo(150.0);
      assertThat(line.get("inName").asText()).isEqualTo("entering");
      assertThat(line.get("outName").asText()).isEqualTo("leaving");
      assertThat(overlay.cameraCount()).isEqualTo(1);

      overlay.onZoneSet("c", set("c", "bay", null));
      overlay.flush();
      u = zones(browser).get("c");
      assertThat(u.get("zones").get(0).get("name").asText()).isEqualTo("bay");
      assertThat(u.get("lines")).isEmpty();

      overlay.onZoneSet("c", null);
      overlay.flush();
      u = zones(browser).get("c");
      assertThat(u.get("zones")).isEmpty();
      assertThat(u.get("lines")).isEmpty();
      assertThat(overlay.cameraCount()).isZero();

      // a tombstone of a camera without zones changes nothing on the page
      overlay.onZoneSet("other", null);
      overlay.flush();
      assertThat(browser.take(0)).isEmpty();
    }
    // a browser connecting later gets the latest state: no zones for c
    try (Broadcaster.Subscriber late = out.subscribe()) {
      assertThat(zones(late).get("c").get("zones")).isEmpty();
    }
  }

  @Test
  void showsTheLatestCountsOfEachZoneAndLine() throws Exception {
    Broadcaster out = new Broadcaster(16);
    ZoneOverlay overlay = new ZoneOverlay(out);
    try (Broadcaster.Subscriber browser = out.subscribe()) {
      overlay.onZoneSet("c", set("c", "dock", "gate"));
      overlay.onZoneEvent(occupancy("c", "dock", Map.of("person", 1L)));
      overlay.onZoneEvent(occupancy("c", "dock", Map.of("person", 2L, "car", 1L)));
      overlay.onZoneEvent(cross("c", "gate", "entering", 1, 0));
      overlay.onZoneEvent(cross("c", "gate", "leaving", 12, 3));
      // events of other zones of the camera do not change these counts
      overlay.onZoneEvent(occupancy("c", "elsewhere", Map.of("person", 9L)));
      overlay.flush();
      Map<String, JsonNode> updates = zones(browser);
      assertThat(updates).containsOnlyKeys("c");
      JsonNode zone = updates.get("c").get("zones").get(0);
      Map<String, Long> occupancy = new LinkedHashMap<>();
      zone.get("occupancy")
          .forEach(n -> occupancy.put(n.get("label").asText(), n.get("count").asLong()));
      assertThat(occupancy).containsExactlyInAnyOrderEntriesOf(Map.of("person", 2L, "car", 1L));
      JsonNode crossings = updates.get("c").get("lines").get(0).get("crossings");
      assertThat(crossings).hasSize(2);
      assertThat(crossings.get(0).get("direction").asText()).isEqualTo("entering");
      assertThat(crossings.get(0).get("count").asLong()).isEqualTo(12);
      assertThat(crossings.get(1).get("count").asLong()).isEqualTo(3);

      // nothing new, nothing published
      overlay.flush();
      assertThat(browser.take(0)).isEmpty();

      // the zone empties: its newest event says so
      overlay.onZoneEvent(occupancy("c", "dock", Map.of()));
      overlay.flush();
      assertThat(zones(browser).get("c").get("zones").get(0).get("occupancy")).isEmpty();

      // a redefined zone keeps its counts; a renamed one starts without; counts of names no
      // longer defined are dropped
      overlay.onZoneEvent(occupancy("c", "dock", Map.of("person", 4L)));
      overlay.onZoneSet("c", set("c", "dock", "door"));
      overlay.flush();
      JsonNode u = zones(browser).get("c");
      assertThat(u.get("zones").get(0).get("occupancy").get(0).get("count").asLong()).isEqualTo(4);
      assertThat(u.get("lines").get(0).get("crossings")).isEmpty();
      overlay.onZoneSet("c", set("c", "dock", "gate"));
      overlay.flush();
      assertThat(zones(browser).get("c").get("lines").get(0).get("crossings")).isEmpty();
    }
  }

  @Test
  void countsOfACameraWithoutZonesWaitForItsZoneSet() throws Exception {
    Broadcaster out = new Broadcaster(16);
    ZoneOverlay overlay = new ZoneOverlay(out);
    try (Broadcaster.Subscriber browser = out.subscribe()) {
      overlay.onZoneEvent(occupancy("c", "dock", Map.of("person", 3L)));
      overlay.onZoneEvent(cross("c", "gate", "entering", 5, 0));
      overlay.flush();
      assertThat(browser.take(0)).as("nothing to draw without zones").isEmpty();
      assertThat(overlay.cameraCount()).isZero();
      assertThat(JSON.readTree(overlay.json("c")).get("zones")).isEmpty();

      // the zone set comes after the events (the topics are read apart): their counts show
      overlay.onZoneSet("c", set("c", "dock", "gate"));
      overlay.flush();
      JsonNode u = zones(browser).get("c");
      assertThat(u.get("zones").get(0).get("occupancy").get(0).get("count").asLong()).isEqualTo(3);
      assertThat(u.get("lines").get(0).get("crossings").get(0).get("count").asLong()).isEqualTo(5);
    }
  }

  @Test
  void aCameraSendingEventsOfEverNewNamesKeepsBoundedCounts() throws Exception {
    Broadcaster out = new Broadcaster(16);
    ZoneOverlay overlay = new ZoneOverlay(out);
    for (int i = 0; i < 10 * ZoneOverlay.MAX_NAMES; i++) {
      overlay.onZoneEvent(occupancy("c", "z" + i, Map.of("person", 1L)));
    }
    overlay.onZoneSet("c", set("c", "z0", null));
    overlay.flush();
    try (Broadcaster.Subscriber browser = out.subscribe()) {
      assertThat(zones(browser).get("c").get("zones").get(0).get("occupancy")).hasSize(1);
    }
  }
}
