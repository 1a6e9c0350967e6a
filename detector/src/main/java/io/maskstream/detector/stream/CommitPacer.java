package io.maskstream.detector.stream;

/**
 * When a frame processor asks Kafka Streams for a commit. Events become visible to read_committed
 * consumers only at a commit, but each commit is a transaction round trip to the broker, so the
 * pace follows the age of each frame processed: a frame that is already {@code t} old may wait
 * {@code t / 10} for its commit, at least {@code minMillis} and at most {@code maxMillis}. Live
 * frames are therefore committed one by one, while a backlog (a detector catching up, a pre-filled
 * topic) is committed a few frames at a time.
 *
 * <p>A commit is asked for after a frame once the last one is at least that frame's wait ago, or
 * once an earlier frame's wait has run out; {@link #due} asks for it when frames stop coming, so
 * the last frames of a backlog do not wait for the stream thread's idle commit.
 *
 * <p>One per processor; called from its stream thread only.
 */
final class CommitPacer {
  /** Share of a frame's age that its events may wait for the commit. */
  static final double AGE_SHARE = 0.1;

  private static final long NONE = Long.MAX_VALUE;

  private final long minMillis;
  private final long maxMillis;
  private long lastRequest = Long.MIN_VALUE;
  private long deadline = NONE;

  /**
   * @param minMillis shortest wait of a frame for its commit
   * @param maxMillis longest wait of a frame for its commit
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
    if (lastRequest == Long.MIN_VALUE || nowMillis - lastRequest >= wait || nowMillis >= deadline) {
      return request(nowMillis);
    }
    deadline = Math.min(deadline, nowMillis + wait);
    return false;
  }

  /**
   * Whether a frame processed since the last request has waited its time (asked periodically,
   * between frames); a {@code true} answer counts as the request.
   */
  boolean due(long nowMillis) {
    return deadline != NONE && nowMillis >= deadline && request(nowMillis);
  }

  private boolean request(long nowMillis) {
    lastRequest = nowMillis;
    deadline = NONE;
    return true;
  }
}
