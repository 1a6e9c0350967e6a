package io.maskstream.sinks.postgres;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.maskstream.schemas.avro.ClassCount;
import io.maskstream.schemas.avro.CrossingCount;
import io.maskstream.schemas.avro.ZoneEvent;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One row of the {@code zone_events} table: the event, its occupancy as a JSON object (label to
 * count) and its crossings as a JSON array of {@code {label, direction, count}}.
 *
 * @param occupancy JSON object, {@code {}} when the zone is empty or the event is a line's
 * @param crossings JSON array, {@code []} for a zone's events
 */
record ZoneEventRow(Key key, ZoneEvent event, String occupancy, String crossings) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The primary key: at most one event of a type per object, zone and frame. */
  record Key(
      String camera,
      String zone,
      Instant frameTime,
      long frameSequence,
      long trackId,
      String type) {}

  static ZoneEventRow of(ZoneEvent e) {
    return new ZoneEventRow(
        new Key(
            e.getCamera(),
            e.getZone(),
            e.getFrameTime(),
            e.getFrameSequence(),
            e.getTrackId(),
            e.getType().name()),
        e,
        occupancyJson(e.getOccupancy()),
        crossingsJson(e.getCrossings()));
  }

  /** One row per key, the last event of a key winning (the same event twice is one row). */
  static Collection<ZoneEventRow> distinct(Collection<ZoneEvent> events) {
    Map<Key, ZoneEventRow> rows = new LinkedHashMap<>();
    for (ZoneEvent e : events) {
      ZoneEventRow row = of(e);
      rows.put(row.key(), row);
    }
    return rows.values();
  }

  /** {@code {"car": 2, "person": 1}}, in the event's order. */
  static String occupancyJson(Collection<ClassCount> occupancy) {
    ObjectNode node = JSON.createObjectNode();
    for (ClassCount c : occupancy) {
      node.put(c.getLabel(), c.getCount());
    }
    return write(node);
  }

  /** {@code [{"label": "car", "direction": "in", "count": 3}]}, in the event's order. */
  static String crossingsJson(Collection<CrossingCount> crossings) {
    ArrayNode node = JSON.createArrayNode();
    for (CrossingCount c : crossings) {
      node.addObject()
          .put("label", c.getLabel())
          .put("direction", c.getDirection())
          .put("count", c.getCount());
    }
    return write(node);
  }

  private static String write(Object node) {
    try {
      return JSON.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e); // a tree of strings and numbers always writes
    }
  }
}
