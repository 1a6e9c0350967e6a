package io.maskstream.sinks.web;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.maskstream.schemas.avro.ClassCount;
import io.maskstream.schemas.avro.CrossingCount;
import io.maskstream.schemas.avro.LineDefinition;
import io.maskstream.schemas.avro.Point;
import io.maskstream.schemas.avro.ZoneDefinition;
import io.maskstream.schemas.avro.ZoneEvent;
import io.maskstream.schemas.avro.ZoneEventType;
import io.maskstream.schemas.avro.ZoneSet;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The cameras' zones and lines as the page draws them, with their latest counts: each zone's
 * occupancy by class from its newest event, each line's crossings by class and direction from its
 * newest CROSS event.
 *
 * <p>A camera's zone set (from the compacted zones topic) replaces the previous one whole; a
 * tombstone removes it. Counts are kept by zone or line name, so a zone whose definition changes
 * keeps its counts until its next event, and counts of names the new set no longer has are dropped.
 * Events may come before their camera's zone set (the two topics are read apart): their counts are
 * kept and shown once the set comes. Events of zones and lines the camera never defines stay
 * bounded: at most {@value #MAX_NAMES} names per camera and {@value #MAX_COUNTED_CAMERAS} cameras
 * with counts, the least recently counted ones forgotten first.
 *
 * <p>Changes are published by {@link #flush()} as one {@link Broadcaster#ZONES} update per changed
 * camera: its zone set with the counts. A camera whose zones are removed gets an update with none,
 * so the page stops drawing them; a camera that never had zones gets no update.
 *
 * <p>Not thread-safe: owned by the web sink's consumer thread.
 */
public final class ZoneOverlay {
  static final int MAX_NAMES = 256;
  static final int MAX_COUNTED_CAMERAS = 4096;
  private static final JsonFactory JSON = new JsonFactory();

  private final Broadcaster broadcaster;
  private final Map<String, ZoneSet> sets = new HashMap<>();
  private final LinkedHashMap<String, Counts> counts =
      new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Counts> eldest) {
          return size() > MAX_COUNTED_CAMERAS;
        }
      };
  private final Set<String> changed = new LinkedHashSet<>();

  /** The latest counts of one camera's zones and lines, by name. */
  private static final class Counts {
    final Map<String, List<ClassCount>> occupancy = new HashMap<>();
    final Map<String, List<CrossingCount>> crossings = new HashMap<>();

    int names() {
      return occupancy.size() + crossings.size();
    }
  }

  /** An overlay publishing to {@code out}. */
  public ZoneOverlay(Broadcaster out) {
    this.broadcaster = out;
  }

  /**
   * Takes {@code camera}'s zone set, replacing its previous one; null (a tombstone) removes its
   * zones and lines and their counts.
   */
  public void onZoneSet(String camera, ZoneSet set) {
    if (set == null) {
      if (sets.remove(camera) != null) {
        changed.add(camera);
      }
      counts.remove(camera);
      return;
    }
    sets.put(camera, set);
    changed.add(camera);
    Counts c = counts.get(camera);
    if (c != null) {
      Set<String> zoneNames = new HashSet<>();
      set.getZones().forEach(z -> zoneNames.add(z.getName()));
      Set<String> lineNames = new HashSet<>();
      set.getLines().forEach(l -> lineNames.add(l.getName()));
      c.occupancy.keySet().retainAll(zoneNames);
      c.crossings.keySet().retainAll(lineNames);
    }
  }

  /** Takes a zone event: its counts become the latest of its zone or line. */
  public void onZoneEvent(ZoneEvent event) {
    String camera = event.getCamera();
    String name = event.getZone();
    Counts c = counts.computeIfAbsent(camera, k -> new Counts());
    boolean cross = event.getType() == ZoneEventType.CROSS;
    Map<String, ?> of = cross ? c.crossings : c.occupancy;
    if (!of.containsKey(name) && c.names() >= MAX_NAMES) {
      return; // a camera sending events of ever new names: keep what is there
    }
    if (cross) {
      c.crossings.put(name, List.copyOf(event.getCrossings()));
    } else {
      c.occupancy.put(name, List.copyOf(event.getOccupancy()));
    }
    if (sets.containsKey(camera)) {
      changed.add(camera);
    }
  }

  /** Publishes the cameras whose zones or counts changed since the last flush. */
  public void flush() {
    for (String camera : changed) {
      broadcaster.publish(Broadcaster.ZONES, camera, json(camera));
    }
    changed.clear();
  }

  /** Cameras with zones or lines. */
  public int cameraCount() {
    return sets.size();
  }

  /**
   * The update of {@code camera}: its zones and lines with their counts (none when it has none).
   */
  String json(String camera) {
    ZoneSet set = sets.get(camera);
    Counts c = counts.get(camera);
    StringWriter out = new StringWriter();
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("camera", camera);
      g.writeArrayFieldStart("zones");
      if (set != null) {
        for (ZoneDefinition z : set.getZones()) {
          g.writeStartObject();
          g.writeStringField("name", z.getName());
          g.writeBooleanField("relative", z.getRelative());
          g.writeArrayFieldStart("polygon");
          for (Point p : z.getPolygon()) {
            point(g, p);
          }
          g.writeEndArray();
          g.writeArrayFieldStart("occupancy");
          List<ClassCount> occupancy = c == null ? null : c.occupancy.get(z.getName());
          if (occupancy != null) {
            for (ClassCount n : occupancy) {
              g.writeStartObject();
              g.writeStringField("label", n.getLabel());
              g.writeNumberField("count", n.getCount());
              g.writeEndObject();
            }
          }
          g.writeEndArray();
          g.writeEndObject();
        }
      }
      g.writeEndArray();
      g.writeArrayFieldStart("lines");
      if (set != null) {
        for (LineDefinition l : set.getLines()) {
          g.writeStartObject();
          g.writeStringField("name", l.getName());
          g.writeBooleanField("relative", l.getRelative());
          g.writeFieldName("start");
          point(g, l.getStart());
          g.writeFieldName("end");
          point(g, l.getEnd());
          g.writeStringField("inName", l.getInName());
          g.writeStringField("outName", l.getOutName());
          g.writeArrayFieldStart("crossings");
          List<CrossingCount> crossings = c == null ? null : c.crossings.get(l.getName());
          if (crossings != null) {
            for (CrossingCount n : crossings) {
              g.writeStartObject();
              g.writeStringField("label", n.getLabel());
              g.writeStringField("direction", n.getDirection());
              g.writeNumberField("count", n.getCount());
              g.writeEndObject();
            }
          }
          g.writeEndArray();
          g.writeEndObject();
        }
      }
      g.writeEndArray();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  private static void point(JsonGenerator g, Point p) throws IOException {
    g.writeStartArray();
    g.writeNumber(p.getX());
    g.writeNumber(p.getY());
    g.writeEndArray();
  }
}
