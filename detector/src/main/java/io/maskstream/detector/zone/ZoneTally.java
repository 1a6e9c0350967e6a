package io.maskstream.detector.zone;

import java.util.Collections;
import java.util.Comparator;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Where a camera's tracks are with respect to its zones and lines, and the lines' counts: the state
 * {@link ZoneCounter} carries from frame to frame. Immutable; sorted, so the same state always
 * gives the same events in the same order.
 *
 * @param presences each track's standing at each zone or line it was measured against
 * @param counts crossings per line, class and direction
 */
public record ZoneTally(SortedMap<Key, Presence> presences, SortedMap<CountKey, Long> counts) {
  /** Nothing yet. */
  public static final ZoneTally EMPTY = new ZoneTally(new TreeMap<>(), new TreeMap<>());

  /**
   * Takes the maps over (no copy: the counter builds new ones every frame, and copying hundreds of
   * entries twice a frame was a measurable share of its time); they must not be changed after.
   */
  public ZoneTally {
    presences = Collections.unmodifiableSortedMap(presences);
    counts = Collections.unmodifiableSortedMap(counts);
  }

  /**
   * A track at a zone or line.
   *
   * @param trackId the track
   * @param region the zone's or line's name
   */
  public record Key(long trackId, String region) implements Comparable<Key> {
    @Override
    public int compareTo(Key o) {
      int c = Long.compare(trackId, o.trackId);
      return c != 0 ? c : region.compareTo(o.region);
    }
  }

  /**
   * Crossings of a line by a class in a direction.
   *
   * @param line the line's name
   * @param label the class name
   * @param direction the direction's name
   */
  public record CountKey(String line, String label, String direction)
      implements Comparable<CountKey> {
    private static final Comparator<CountKey> ORDER =
        Comparator.comparing(CountKey::line)
            .thenComparing(CountKey::label)
            .thenComparing(CountKey::direction);

    @Override
    public int compareTo(CountKey o) {
      return ORDER.compare(this, o);
    }
  }

  /**
   * A track's standing at one zone or line.
   *
   * @param label the track's class name
   * @param side zones: 1 inside, 0 outside; lines: 1 right-hand side, -1 left-hand side; as counted
   * @param pending frames in a row it has been seen on the other side since
   * @param fromX lines: the anchor when last seen on the counted side
   * @param fromY lines: likewise
   * @param toX lines: the anchor when first seen on the other side
   * @param toY lines: likewise
   * @param enteredTime zones: capture time (ms) from which it counts as inside
   * @param pendingTime capture time (ms) when it was first seen on the other side
   * @param loitered zones: LOITER was raised for this visit
   * @param entered zones: it has been inside at some time
   */
  public record Presence(
      String label,
      int side,
      int pending,
      double fromX,
      double fromY,
      double toX,
      double toY,
      long enteredTime,
      long pendingTime,
      boolean loitered,
      boolean entered) {}
}
