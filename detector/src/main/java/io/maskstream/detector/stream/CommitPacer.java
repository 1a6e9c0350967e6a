package io.maskstream.detector.stream;

/**
 * When a frame processor asks Kafka Streams for a commit. Events become visible to read_committed
 * consumers only at a commit, but each commit is a transaction round trip to the broker, so the
 * pace follows the age of the frame just processed: a frame that is already {@code t} old gets its
 * events at most {@code t / 10} later, never sooner apart than {@code minMillis} and never later
 * than {@code maxMillis}. Live frames are therefore committed one by one, while a backlog (a
 * detector catching up, a pre-filled topic) is committed a few frames at a time.
 *
 * <p>One per processor; called from its stream thread only.
 */
final class CommitPacer {
  /** Share of a frame's age that its events may wait for the commit. */
  static final double AGE_SHARE = 0.1;

  private final long minMillis;
  private final long maxMillis;
  private long lastRequest = Long.MIN_VALUE;

  /**
   * @param minMillis shortest time between two requested commits
   * @param maxMillis longest time a processed frame waits for its commit
   */
  CommitPacer(long minMillis, long maxMillis) {
    if (minMillis < 0 || maxMillis < minMillis) {
      throw new IllegalArgumentException(
          "commit pace needs 0 <= min <= max, got " + minMillis + " and " + maxMillis);
    }
    this.minMillis = minMillis;
    this.maxMillis = maxMillis;
  }

  /**
   * Whether to request a commit now, after a frame of the given age was processed; a {@code true}
   * answer counts as the request.
   *
   * @param nowMillis wall clock
   * @param frameAgeMillis now minus the frame's capture time (negative ages count as 0)
   */
  boolean commitNow(long nowMillis, long frameAgeMillis) {
    long wait = Math.min(maxMillis, Math.max(minMillis, (long) (AGE_SHARE * frameAgeMillis)));
    if (lastRequest != Long.MIN_VALUE && nowMillis - lastRequest < wait) {
      return false;
    }
    lastRequest = nowMillis;
    return true;
  }
}
