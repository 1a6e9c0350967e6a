package io.maskstream.ingest.source;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with jitter for reconnecting a source: attempt {@code n} waits a random time
 * in {@code [d/2, d]} with {@code d = min(max, initial * 2^n)}, so cameras that failed together do
 * not reconnect in lockstep. Not thread-safe: one per source thread.
 */
public final class Backoff {
  private final Duration initial;
  private final Duration max;
  private final RandomGenerator random;
  private int attempt;

  /**
   * A backoff starting at {@code initial} and capped at {@code max}.
   *
   * @param random source of jitter; pass a seeded generator for reproducible delays
   */
  public Backoff(Duration initial, Duration max, RandomGenerator random) {
    if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("need 0 < initial <= max");
    }
    this.initial = initial;
    this.max = max;
    this.random = random;
  }

  /** The delay before the next attempt; each call doubles the base up to the maximum. */
  public Duration next() {
    long base = initial.toMillis();
    for (int i = 0; i < attempt && base < max.toMillis(); i++) {
      base *= 2;
    }
    base = Math.min(base, max.toMillis());
    attempt++;
    long half = base / 2;
    return Duration.ofMillis(half + random.nextLong(base - half + 1));
  }

  /** Attempts since the last {@link #reset()}. */
  public int attempts() {
    return attempt;
  }

  /** Starts again from the initial delay, after the source delivered frames. */
  public void reset() {
    attempt = 0;
  }
}
