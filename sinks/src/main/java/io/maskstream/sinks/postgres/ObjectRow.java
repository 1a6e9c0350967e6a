package io.maskstream.sinks.postgres;

import io.maskstream.schemas.avro.ObjectEvent;
import io.maskstream.schemas.avro.ObjectEventType;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One row of the {@code objects} table, as a tracked object's events make it: the newest event (by
 * its frame's capture time, then sequence) gives the last-seen columns, and an END anywhere makes
 * it ended for good. {@link #merge} is the rule the table's upsert applies to the row it already
 * has.
 *
 * @param eventSequence sequence of the frame of the event the last-seen columns come from
 * @param eventTime capture time of that frame
 * @param endedAtSequence sequence of the frame whose processing raised END, null before
 */
record ObjectRow(
    Key key,
    String label,
    long firstSequence,
    long lastSequence,
    Instant lastTime,
    float score,
    float topScore,
    float x1,
    float y1,
    float x2,
    float y2,
    boolean stationary,
    List<String> zones,
    List<String> enteredZones,
    boolean ended,
    Long endedAtSequence,
    String modelName,
    String modelVersion,
    long eventSequence,
    Instant eventTime) {

  /** The primary key: track ids are per camera, first time tells a reused id apart. */
  record Key(String camera, long trackId, Instant firstTime) {}

  /** The row one event makes on its own (what an event inserts when the track has no row yet). */
  static ObjectRow of(ObjectEvent e) {
    boolean end = e.getType() == ObjectEventType.END;
    return new ObjectRow(
        new Key(e.getCamera(), e.getTrackId(), e.getFirstTime()),
        e.getLabel(),
        e.getFirstSequence(),
        e.getLastSequence(),
        e.getLastTime(),
        e.getScore(),
        e.getTopScore(),
        e.getBox().getX1(),
        e.getBox().getY1(),
        e.getBox().getX2(),
        e.getBox().getY2(),
        e.getStationary(),
        List.copyOf(e.getZones()),
        List.copyOf(e.getEnteredZones()),
        end,
        end ? e.getFrameSequence() : null,
        e.getModel().getName(),
        e.getModel().getVersion(),
        e.getFrameSequence(),
        e.getFrameTime());
  }

  /**
   * The events folded into one row per track, in the order of their first event; the same event
   * twice, or events in any order, give the same rows.
   */
  static Collection<ObjectRow> fold(Collection<ObjectEvent> events) {
    Map<Key, ObjectRow> rows = new LinkedHashMap<>();
    for (ObjectEvent e : events) {
      ObjectRow row = of(e);
      rows.merge(row.key(), row, ObjectRow::merge);
    }
    return rows.values();
  }

  /**
   * This row with {@code other} (of the same track) applied: its last-seen columns when its event
   * is not older than this row's, ended once either is, the lower first sequence (they agree
   * anyway).
   */
  ObjectRow merge(ObjectRow other) {
    ObjectRow newer = other.notOlderThan(this) ? other : this;
    boolean isEnded = ended || other.ended;
    Long endedAt = endedAtSequence != null ? endedAtSequence : other.endedAtSequence;
    return new ObjectRow(
        key,
        newer.label,
        Math.min(firstSequence, other.firstSequence),
        newer.lastSequence,
        newer.lastTime,
        newer.score,
        newer.topScore,
        newer.x1,
        newer.y1,
        newer.x2,
        newer.y2,
        newer.stationary,
        newer.zones,
        newer.enteredZones,
        isEnded,
        endedAt,
        newer.modelName,
        newer.modelVersion,
        newer.eventSequence,
        newer.eventTime);
  }

  /**
   * Whether this row's event is at least as new as {@code other}'s: capture time, then sequence.
   */
  boolean notOlderThan(ObjectRow other) {
    int byTime = eventTime.compareTo(other.eventTime);
    return byTime > 0 || (byTime == 0 && eventSequence >= other.eventSequence);
  }
}
