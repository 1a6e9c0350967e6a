package io.maskstream.sinks.join;

import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.Masks;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Joins the detections and masks events of a frame (same camera, sequence and model version), which
 * travel on two topics and may arrive in either order.
 *
 * <p>A half waits at most the join timeout, and at most {@code capacity} frames wait at once (the
 * oldest goes first), so memory stays bounded whatever arrives. Not thread-safe: owned by one
 * consumer thread; time is passed in by the caller.
 *
 * @param <P> the caller's record position type, carried along for offset bookkeeping
 */
public final class EventJoiner<P> {
  private final long timeoutMillis;
  private final int capacity;
  private final LinkedHashMap<FrameKey, Pending<P>> pending = new LinkedHashMap<>();

  private static final class Pending<P> {
    final long since;
    Detections detections;
    Masks masks;
    final List<P> positions = new ArrayList<>(2);

    Pending(long since) {
      this.since = since;
    }

    JoinedFrame<P> joined(FrameKey key) {
      return new JoinedFrame<>(key, detections, masks, List.copyOf(positions));
    }
  }

  /** A joiner whose halves wait at most {@code timeout}, with at most {@code capacity} waiting. */
  public EventJoiner(Duration timeout, int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be positive");
    }
    this.timeoutMillis = timeout.toMillis();
    this.capacity = capacity;
  }

  /** Adds a detections event; returns the joined frame when its masks were already here. */
  public JoinedFrame<P> offer(Detections detections, P position, long nowMillis) {
    FrameKey key = FrameKey.of(detections.getFrame(), detections.getModel());
    Pending<P> entry = pending.computeIfAbsent(key, k -> new Pending<>(nowMillis));
    entry.detections = detections;
    entry.positions.add(position);
    return completeOrNull(key, entry);
  }

  /** Adds a masks event; returns the joined frame when its detections were already here. */
  public JoinedFrame<P> offer(Masks masks, P position, long nowMillis) {
    FrameKey key = FrameKey.of(masks.getFrame(), masks.getModel());
    Pending<P> entry = pending.computeIfAbsent(key, k -> new Pending<>(nowMillis));
    entry.masks = masks;
    entry.positions.add(position);
    return completeOrNull(key, entry);
  }

  private JoinedFrame<P> completeOrNull(FrameKey key, Pending<P> entry) {
    if (entry.detections != null && entry.masks != null) {
      pending.remove(key);
      return entry.joined(key);
    }
    return null;
  }

  /**
   * Removes and returns the frames whose first half has waited longer than the timeout, and the
   * oldest ones beyond the capacity; they have one half only.
   */
  public List<JoinedFrame<P>> expire(long nowMillis) {
    List<JoinedFrame<P>> out = new ArrayList<>();
    Iterator<Map.Entry<FrameKey, Pending<P>>> it = pending.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<FrameKey, Pending<P>> e = it.next();
      boolean overCapacity = pending.size() > capacity;
      if (overCapacity || nowMillis - e.getValue().since >= timeoutMillis) {
        out.add(e.getValue().joined(e.getKey()));
        it.remove();
      } else {
        break; // insertion order: the rest arrived later
      }
    }
    return out;
  }

  /** Frames waiting for their other half. */
  public int size() {
    return pending.size();
  }

  /** Forgets everything waiting (its records will be read again). */
  public void clear() {
    pending.clear();
  }
}
