package io.maskstream.detector.zone;

import io.maskstream.schemas.avro.LineTotal;
import io.maskstream.schemas.avro.Presence;
import io.maskstream.schemas.avro.ZoneState;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/** {@link ZoneTally} to and from its stored form, the Avro {@link ZoneState}. */
public final class ZoneTallies {
  private ZoneTallies() {}

  /** The stored form of a tally. */
  public static ZoneState of(ZoneTally tally) {
    List<Presence> presences = new ArrayList<>(tally.presences().size());
    tally
        .presences()
        .forEach(
            (k, p) ->
                presences.add(
                    new Presence(
                        k.trackId(),
                        k.region(),
                        p.label(),
                        p.side(),
                        p.pending(),
                        p.fromX(),
                        p.fromY(),
                        p.toX(),
                        p.toY(),
                        p.enteredTime(),
                        p.pendingTime(),
                        p.loitered(),
                        p.entered())));
    List<LineTotal> counts = new ArrayList<>(tally.counts().size());
    tally
        .counts()
        .forEach((k, n) -> counts.add(new LineTotal(k.line(), k.label(), k.direction(), n)));
    return new ZoneState(presences, counts);
  }

  /** The tally a stored state holds. */
  public static ZoneTally tally(ZoneState state) {
    SortedMap<ZoneTally.Key, ZoneTally.Presence> presences = new TreeMap<>();
    for (Presence p : state.getPresences()) {
      presences.put(
          new ZoneTally.Key(p.getTrackId(), p.getRegion()),
          new ZoneTally.Presence(
              p.getLabel(),
              p.getSide(),
              p.getPending(),
              p.getFromX(),
              p.getFromY(),
              p.getToX(),
              p.getToY(),
              p.getEnteredTime(),
              p.getPendingTime(),
              p.getLoitered(),
              p.getEntered()));
    }
    SortedMap<ZoneTally.CountKey, Long> counts = new TreeMap<>();
    for (LineTotal t : state.getCounts()) {
      counts.put(new ZoneTally.CountKey(t.getLine(), t.getLabel(), t.getDirection()), t.getCount());
    }
    return new ZoneTally(presences, counts);
  }
}
