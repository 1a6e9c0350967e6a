package io.maskstream.detector.zone;

import io.maskstream.detector.track.ByteTracker;
import io.maskstream.detector.track.Track;
import io.maskstream.schemas.avro.ClassCount;
import io.maskstream.schemas.avro.CrossingCount;
import io.maskstream.schemas.avro.ZoneAnchor;
import io.maskstream.schemas.avro.ZoneEvent;
import io.maskstream.schemas.avro.ZoneEventType;
import io.maskstream.schemas.rle.CocoIou;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Zones and lines over tracks: enter, exit and loiter events and occupancy per zone, crossings by
 * direction per line. A pure function of its state, like the tracker: {@link #step} takes a
 * camera's {@link ZoneTally}, its {@link ZoneLayout} and one frame's tracks and returns the next
 * tally with the frame's events, so replayed frames give the same events and a tally stored and
 * read back continues exactly.
 *
 * <p>The rules that keep counts right where simple counters go wrong:
 *
 * <ul>
 *   <li>A side change counts only after {@code minFrames} frames in a row on the new side, so an
 *       object jittering on a border or a line is not counted back and forth.
 *   <li>A crossing is the path from where the object was last seen on the counted side to where it
 *       was first seen on the other side, and counts only when that path meets the segment: passing
 *       beside the line's end (its infinite extension) changes the side without a count, and an
 *       object that jumps over the line between two frames is still counted.
 *   <li>Occupancy is not a counter but the tracks inside, so it cannot drift: a track that ends
 *       inside a zone (lost longer than the buffer, e.g. it left the frame there) raises an EXIT
 *       marked {@code ended} and leaves the occupancy.
 * </ul>
 *
 * Tracks are measured by an anchor: the bottom centre of the box (where an object stands), its
 * centre, or for zones the share of its mask inside. Only confirmed tracks seen in the frame are
 * measured; a lost track keeps its standing until it is seen again or ends. Zones and lines removed
 * from the layout take their standings and counts with them.
 */
public final class ZoneCounter {
  /**
   * What one frame did.
   *
   * @param tally the state after the frame
   * @param events the events, in the order they happened
   * @param memberships the zones each track seen or ended in the frame is in (none once ended) and
   *     has entered, by track id
   */
  public record Step(ZoneTally tally, List<ZoneEvent> events, Map<Long, Membership> memberships) {}

  /**
   * The zones of one track.
   *
   * @param inside the zones it counts as inside, by name
   * @param entered the zones it has entered in its life, by name
   */
  public record Membership(List<String> inside, List<String> entered) {
    /** In no zone. */
    public static final Membership NONE = new Membership(List.of(), List.of());
  }

  /**
   * Advances a camera's zone state by the frame the tracker has just stepped: the tracks it
   * confirmed or matched are measured, its confirmed tracks (tracked or lost) stay alive, the ones
   * it ended leave.
   */
  public Step step(
      ZoneTally tally,
      ZoneLayout layout,
      String camera,
      long sequence,
      long time,
      ByteTracker.Step tracked) {
    List<Track> seen = new ArrayList<>(tracked.started());
    seen.addAll(tracked.updated());
    Set<Long> alive = new java.util.HashSet<>();
    for (Track t : tracked.state().tracks()) {
      if (t.id() > 0) {
        alive.add(t.id());
      }
    }
    return step(tally, layout, camera, sequence, time, seen, alive, tracked.ended());
  }

  /**
   * Advances a camera's zone state by one frame.
   *
   * @param tally the state before the frame
   * @param layout the camera's zones and lines at the frame's size
   * @param camera the camera id (for the events)
   * @param sequence the frame's sequence
   * @param time the frame's capture time in ms
   * @param seen confirmed tracks matched in the frame
   * @param alive ids of the camera's confirmed tracks after the frame (seen or lost)
   * @param ended tracks that ended in the frame, as they last were
   */
  public Step step(
      ZoneTally tally,
      ZoneLayout layout,
      String camera,
      long sequence,
      long time,
      List<Track> seen,
      Set<Long> alive,
      List<Track> ended) {
    Frame f = new Frame(tally, layout, camera, sequence, time);
    f.forget(alive, ended);
    List<Track> ordered = new ArrayList<>(seen);
    ordered.sort(Comparator.comparingLong(Track::id));
    for (ZoneLayout.Zone zone : layout.zones()) {
      for (Track t : ordered) {
        if (zone.counts(t.label())) {
          f.measure(zone, t);
        }
      }
    }
    for (ZoneLayout.Line line : layout.lines()) {
      for (Track t : ordered) {
        if (line.counts(t.label())) {
          f.measure(line, t);
        }
      }
    }
    Map<Long, Membership> memberships = new HashMap<>();
    for (Track t : ordered) {
      memberships.put(t.id(), f.membership(t.id()));
    }
    List<Track> endedInOrder = new ArrayList<>(ended);
    endedInOrder.sort(Comparator.comparingLong(Track::id));
    for (Track t : endedInOrder) {
      memberships.put(t.id(), f.end(t));
    }
    return new Step(new ZoneTally(f.presences, f.counts), f.events, memberships);
  }

  /** One frame's work on a mutable copy of the tally. */
  private static final class Frame {
    final SortedMap<ZoneTally.Key, ZoneTally.Presence> presences;
    final SortedMap<ZoneTally.CountKey, Long> counts;
    final ZoneLayout layout;
    final String camera;
    final long sequence;
    final long time;
    final List<ZoneEvent> events = new ArrayList<>();
    final Map<Long, CocoIou.Columns> masks = new HashMap<>();
    final Set<String> zoneNames = new java.util.HashSet<>();

    Frame(ZoneTally tally, ZoneLayout layout, String camera, long sequence, long time) {
      this.presences = new TreeMap<>(tally.presences());
      this.counts = new TreeMap<>(tally.counts());
      this.layout = layout;
      this.camera = camera;
      this.sequence = sequence;
      this.time = time;
      layout.zones().forEach(z -> zoneNames.add(z.name()));
    }

    /**
     * Drops what no longer has a subject: standings of tracks gone without an end (a tracker that
     * started over) and of zones and lines no longer defined or no longer counting the class, and
     * counts of lines no longer defined.
     */
    void forget(Set<Long> alive, Collection<Track> ended) {
      Map<String, ZoneLayout.Zone> zones = new HashMap<>();
      layout.zones().forEach(z -> zones.put(z.name(), z));
      Map<String, ZoneLayout.Line> lines = new HashMap<>();
      layout.lines().forEach(l -> lines.put(l.name(), l));
      Set<Long> endedIds = new java.util.HashSet<>();
      ended.forEach(t -> endedIds.add(t.id()));
      presences
          .entrySet()
          .removeIf(
              e -> {
                long id = e.getKey().trackId();
                String region = e.getKey().region();
                String label = e.getValue().label();
                if (!alive.contains(id) && !endedIds.contains(id)) {
                  return true;
                }
                ZoneLayout.Zone z = zones.get(region);
                if (z != null) {
                  return !z.counts(label);
                }
                ZoneLayout.Line l = lines.get(region);
                return l == null || !l.counts(label);
              });
      counts
          .keySet()
          .removeIf(
              k -> {
                ZoneLayout.Line l = lines.get(k.line());
                return l == null
                    || !(k.direction().equals(l.inName()) || k.direction().equals(l.outName()));
              });
    }

    void measure(ZoneLayout.Zone zone, Track t) {
      ZoneTally.Key key = new ZoneTally.Key(t.id(), zone.name());
      ZoneTally.Presence p = presences.get(key);
      if (p == null || p.side() < 0) {
        p = new ZoneTally.Presence(t.label(), 0, 0, 0, 0, 0, 0, 0, 0, false, false);
      }
      int observed = inside(zone, t) ? 1 : 0;
      if (observed == p.side()) {
        p = with(p, p.side(), 0, p.pendingTime());
      } else {
        long since = p.pending() == 0 ? time : p.pendingTime();
        int pending = p.pending() + 1;
        if (pending < zone.minFrames()) {
          p = with(p, p.side(), pending, since);
        } else if (observed == 1) {
          p = new ZoneTally.Presence(p.label(), 1, 0, 0, 0, 0, 0, since, since, false, true);
          presences.put(key, p);
          events.add(
              zoneEvent(ZoneEventType.ENTER, zone.name(), t.id(), p.label())
                  .setEnteredTime(Instant.ofEpochMilli(since))
                  .build());
        } else {
          long entered = p.enteredTime();
          p = new ZoneTally.Presence(p.label(), 0, 0, 0, 0, 0, 0, 0, since, false, p.entered());
          presences.put(key, p);
          events.add(
              zoneEvent(ZoneEventType.EXIT, zone.name(), t.id(), p.label())
                  .setEnteredTime(Instant.ofEpochMilli(entered))
                  .setDwellMillis(Math.max(0, since - entered))
                  .build());
        }
      }
      if (p.side() == 1
          && !p.loitered()
          && zone.loiterMillis() >= 0
          && time - p.enteredTime() >= zone.loiterMillis()) {
        p =
            new ZoneTally.Presence(
                p.label(),
                1,
                p.pending(),
                0,
                0,
                0,
                0,
                p.enteredTime(),
                p.pendingTime(),
                true,
                true);
        presences.put(key, p);
        events.add(
            zoneEvent(ZoneEventType.LOITER, zone.name(), t.id(), p.label())
                .setEnteredTime(Instant.ofEpochMilli(p.enteredTime()))
                .setDwellMillis(time - p.enteredTime())
                .build());
      }
      if (p.side() == 0 && p.pending() == 0 && !p.entered()) {
        presences.remove(key); // the default standing is not stored
      } else {
        presences.put(key, p);
      }
    }

    private static ZoneTally.Presence with(
        ZoneTally.Presence p, int side, int pending, long pendingTime) {
      return new ZoneTally.Presence(
          p.label(),
          side,
          pending,
          p.fromX(),
          p.fromY(),
          p.toX(),
          p.toY(),
          p.enteredTime(),
          pendingTime,
          p.loitered(),
          p.entered());
    }

    void measure(ZoneLayout.Line line, Track t) {
      double[] a = anchor(line.anchor(), t.box());
      int observed = Geometry.side(line.ax(), line.ay(), line.bx(), line.by(), a[0], a[1]);
      ZoneTally.Key key = new ZoneTally.Key(t.id(), line.name());
      ZoneTally.Presence p = presences.get(key);
      if (observed == 0) {
        return; // on the line: neither side
      }
      if (p == null || p.side() == 0) {
        presences.put(
            key,
            new ZoneTally.Presence(t.label(), observed, 0, a[0], a[1], 0, 0, 0, 0, false, false));
        return;
      }
      if (observed == p.side()) {
        presences.put(
            key,
            new ZoneTally.Presence(p.label(), p.side(), 0, a[0], a[1], 0, 0, 0, 0, false, false));
        return;
      }
      boolean first = p.pending() == 0;
      double toX = first ? a[0] : p.toX();
      double toY = first ? a[1] : p.toY();
      long since = first ? time : p.pendingTime();
      int pending = p.pending() + 1;
      if (pending < line.minFrames()) {
        presences.put(
            key,
            new ZoneTally.Presence(
                p.label(), p.side(), pending, p.fromX(), p.fromY(), toX, toY, 0, since, false,
                false));
        return;
      }
      if (Geometry.segmentsMeet(
          p.fromX(), p.fromY(), toX, toY, line.ax(), line.ay(), line.bx(), line.by())) {
        String direction = observed > 0 ? line.inName() : line.outName();
        counts.merge(new ZoneTally.CountKey(line.name(), p.label(), direction), 1L, Long::sum);
        events.add(
            zoneEvent(ZoneEventType.CROSS, line.name(), t.id(), p.label())
                .setDirection(direction)
                .build());
      }
      presences.put(
          key,
          new ZoneTally.Presence(p.label(), observed, 0, a[0], a[1], 0, 0, 0, 0, false, false));
    }

    /** Ends a track: EXIT from every zone it is inside, then its standings are dropped. */
    Membership end(Track t) {
      List<String> entered = new ArrayList<>();
      for (ZoneLayout.Zone zone : layout.zones()) {
        ZoneTally.Key key = new ZoneTally.Key(t.id(), zone.name());
        ZoneTally.Presence p = presences.get(key);
        if (p == null) {
          continue;
        }
        if (p.entered()) {
          entered.add(zone.name());
        }
        if (p.side() == 1) {
          presences.remove(key);
          events.add(
              zoneEvent(ZoneEventType.EXIT, zone.name(), t.id(), p.label())
                  .setEnteredTime(Instant.ofEpochMilli(p.enteredTime()))
                  .setDwellMillis(Math.max(0, t.lastTime() - p.enteredTime()))
                  .setEnded(true)
                  .build());
        }
      }
      presences.keySet().removeIf(k -> k.trackId() == t.id());
      entered.sort(null);
      return new Membership(List.of(), List.copyOf(entered));
    }

    Membership membership(long trackId) {
      List<String> inside = new ArrayList<>();
      List<String> entered = new ArrayList<>();
      for (var e :
          presences
              .subMap(new ZoneTally.Key(trackId, ""), new ZoneTally.Key(trackId + 1, ""))
              .entrySet()) {
        if (!zoneNames.contains(e.getKey().region())) {
          continue;
        }
        if (e.getValue().side() == 1) {
          inside.add(e.getKey().region());
        }
        if (e.getValue().entered()) {
          entered.add(e.getKey().region());
        }
      }
      return new Membership(List.copyOf(inside), List.copyOf(entered));
    }

    private boolean inside(ZoneLayout.Zone zone, Track t) {
      if (zone.anchor() == ZoneAnchor.MASK && t.mask() != null) {
        double[] box = t.box();
        double[] b = zone.bounds();
        if (box[2] <= b[0] || box[0] >= b[2] || box[3] <= b[1] || box[1] >= b[3]) {
          return false; // the box misses the zone's bounds: no pixel of the mask can be inside
        }
        CocoIou.Columns columns = masks.computeIfAbsent(t.id(), id -> CocoIou.columns(t.mask()));
        return Geometry.shareInside(columns, zone.xs(), zone.ys()) >= zone.maskShare();
      }
      double[] a = anchor(zone.anchor(), t.box());
      return Geometry.inside(zone.xs(), zone.ys(), a[0], a[1]);
    }

    private ZoneEvent.Builder zoneEvent(
        ZoneEventType type, String region, long trackId, String label) {
      ZoneEvent.Builder b =
          ZoneEvent.newBuilder()
              .setType(type)
              .setCamera(camera)
              .setZone(region)
              .setTrackId(trackId)
              .setLabel(label)
              .setDirection(null)
              .setFrameSequence(sequence)
              .setFrameTime(Instant.ofEpochMilli(time))
              .setEnteredTime(null)
              .setDwellMillis(null)
              .setEnded(false)
              .setOccupancy(List.of())
              .setCrossings(List.of());
      if (type == ZoneEventType.CROSS) {
        List<CrossingCount> crossings = new ArrayList<>();
        counts.forEach(
            (k, n) -> {
              if (k.line().equals(region)) {
                crossings.add(new CrossingCount(k.label(), k.direction(), n));
              }
            });
        b.setCrossings(crossings);
      } else {
        SortedMap<String, Long> byLabel = new TreeMap<>();
        presences.forEach(
            (k, p) -> {
              if (k.region().equals(region) && p.side() == 1) {
                byLabel.merge(p.label(), 1L, Long::sum);
              }
            });
        List<ClassCount> occupancy = new ArrayList<>();
        byLabel.forEach((l, n) -> occupancy.add(new ClassCount(l, n)));
        b.setOccupancy(occupancy);
      }
      return b;
    }
  }

  /** The anchor point of a box {@code [x1, y1, x2, y2]}: its centre, or its bottom centre. */
  static double[] anchor(ZoneAnchor anchor, double[] box) {
    double cx = (box[0] + box[2]) / 2;
    return anchor == ZoneAnchor.CENTER
        ? new double[] {cx, (box[1] + box[3]) / 2}
        : new double[] {cx, box[3]};
  }
}
