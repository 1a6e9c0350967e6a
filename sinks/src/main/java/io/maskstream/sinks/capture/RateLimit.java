package io.maskstream.sinks.capture;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * At most one kept frame per camera per interval, by the frames' capture times (so a backlog read
 * from the past is sampled as it was filmed, not as fast as it is read). Not thread-safe.
 */
public final class RateLimit {
  private final long intervalMillis;
  private final Map<String, Long> lastKept = new HashMap<>();

  /** A limit of one frame per {@code interval} per camera; zero keeps every frame. */
  public RateLimit(Duration interval) {
    if (interval.isNegative()) {
      throw new IllegalArgumentException("--every must not be negative");
    }
    this.intervalMillis = interval.toMillis();
  }

  /** Whether a frame of {@code camera} captured at {@code captureMillis} may be kept. */
  public boolean allows(String camera, long captureMillis) {
    Long last = lastKept.get(camera);
    return last == null || Math.abs(captureMillis - last) >= intervalMillis;
  }

  /** Records that a frame of {@code camera} captured at {@code captureMillis} was kept. */
  public void kept(String camera, long captureMillis) {
    lastKept.put(camera, captureMillis);
  }
}
