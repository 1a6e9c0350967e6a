package io.maskstream.trainer.model;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Wall time of a training iteration's stages (data, backbone, RPN, RoIAlign, heads, losses,
 * backward, optimiser), summed over the iterations measured, for the speed benchmark's profile.
 * libtorch runs CPU operations synchronously, so the time between two laps is the stage's own.
 * Stages are laps: {@link #start} marks the beginning, each {@link #lap} charges the time since the
 * previous mark to a stage. {@link #off()} is a disabled instance that records nothing. Not
 * thread-safe: the training thread's alone.
 */
public final class StageTimes {
  private static final StageTimes OFF = new StageTimes(false);

  private final boolean on;
  private final Map<String, Long> nanos = new LinkedHashMap<>();
  private long mark;

  private StageTimes(boolean on) {
    this.on = on;
  }

  /** A recording instance. */
  public static StageTimes recording() {
    return new StageTimes(true);
  }

  /** The instance that records nothing. */
  public static StageTimes off() {
    return OFF;
  }

  /** Marks the beginning of the next stage. */
  public void start() {
    if (on) {
      mark = System.nanoTime();
    }
  }

  /** Charges the time since the last mark to {@code stage} and marks now. */
  public void lap(String stage) {
    if (on) {
      long now = System.nanoTime();
      nanos.merge(stage, now - mark, Long::sum);
      mark = now;
    }
  }

  /** Forgets what was recorded (e.g. after warm-up iterations). */
  public void reset() {
    nanos.clear();
  }

  /** Seconds per iteration of each stage, in the order first recorded, over {@code iterations}. */
  public Map<String, Double> secondsPer(long iterations) {
    Map<String, Double> out = new LinkedHashMap<>();
    nanos.forEach((k, v) -> out.put(k, v / 1e9 / Math.max(1, iterations)));
    return out;
  }
}
