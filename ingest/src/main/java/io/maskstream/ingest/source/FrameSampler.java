package io.maskstream.ingest.source;

/**
 * Picks the frames to send so that a source is sampled at a target rate by presentation time, not
 * by sleeping: a 30 fps stream sampled at 10 fps keeps every third frame, a 7 fps stream keeps all.
 *
 * <p>A backward jump or a gap of more than a second in the timestamps (a loop, a reconnect, a
 * stream that restarted) restarts the schedule at the new timestamp. Not thread-safe: one per
 * source thread.
 */
public final class FrameSampler {
  private static final long RESYNC_MICROS = 1_000_000;
  private final long intervalMicros;
  private long nextDue = Long.MIN_VALUE;

  /** A sampler for {@code fps} frames per second. */
  public FrameSampler(double fps) {
    if (!(fps > 0)) {
      throw new IllegalArgumentException("fps must be positive, got " + fps);
    }
    this.intervalMicros = Math.max(1, Math.round(1_000_000 / fps));
  }

  /** Whether the frame presented at {@code timestampMicros} is sent. */
  public boolean accept(long timestampMicros) {
    if (nextDue == Long.MIN_VALUE
        || timestampMicros < nextDue - intervalMicros - RESYNC_MICROS
        || timestampMicros > nextDue + RESYNC_MICROS) {
      nextDue = timestampMicros + intervalMicros;
      return true;
    }
    // half a frame of tolerance for timestamps rounded by the container
    if (timestampMicros + intervalMicros / 20 >= nextDue) {
      nextDue += intervalMicros;
      return true;
    }
    return false;
  }

  /** Forgets the schedule, e.g. after a reconnect. */
  public void reset() {
    nextDue = Long.MIN_VALUE;
  }
}
