package io.maskstream.sinks.capture;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * What {@code maskstream capture} keeps, where, and when it stops. Immutable.
 *
 * @param cameras the cameras whose frames are considered
 * @param out the dataset folder
 * @param every at most one kept frame per camera per this interval (zero: no limit)
 * @param unsureLow lower end of the unsure score band
 * @param unsureHigh upper end of the unsure score band
 * @param flicker whether detections appearing or disappearing between neighbouring frames count
 * @param all keep frames with no reason too (as samples at the rate)
 * @param dedupDistance frames whose difference hash is within this many bits of a kept frame of the
 *     same camera are near-duplicates and skipped; -1 turns the check off
 * @param maxFrames stop after keeping this many frames
 * @param maxBytes stop before the image bytes written would exceed this
 * @param duration stop after this long; null runs until another bound or a signal
 * @param start where reading starts
 * @param polygons write masks as polygons instead of RLE
 */
public record CaptureSettings(
    Set<String> cameras,
    Path out,
    Duration every,
    double unsureLow,
    double unsureHigh,
    boolean flicker,
    boolean all,
    int dedupDistance,
    int maxFrames,
    long maxBytes,
    Duration duration,
    Start start,
    boolean polygons) {

  /** How long a named camera may show no frame before the capture says so (and goes on). */
  public static final Duration CAMERA_WAIT = Duration.ofSeconds(10);

  /** Validates the values. */
  public CaptureSettings {
    cameras = Set.copyOf(cameras);
    if (cameras.isEmpty()) {
      throw new IllegalArgumentException("name at least one --camera");
    }
    Objects.requireNonNull(out, "out");
    Objects.requireNonNull(start, "start");
    if (every.isNegative()) {
      throw new IllegalArgumentException("--every must not be negative");
    }
    if (dedupDistance < -1 || dedupDistance > 64) {
      throw new IllegalArgumentException(
          "--dedup-distance must be -1 (off) or 0-64 bits, got " + dedupDistance);
    }
    if (maxFrames < 1) {
      throw new IllegalArgumentException("--max-frames must be positive, got " + maxFrames);
    }
    if (maxBytes < 1) {
      throw new IllegalArgumentException("--max-size must be positive");
    }
    if (duration != null && (duration.isZero() || duration.isNegative())) {
      throw new IllegalArgumentException("--duration must be positive");
    }
  }

  /**
   * Where reading starts.
   *
   * @param kind from now, from the beginning, or from a time
   * @param since the time, for {@link Kind#SINCE}
   */
  public record Start(Kind kind, Instant since) {
    /** Where reading starts. */
    public enum Kind {
      /** The end of each partition: frames from now on. */
      NOW,
      /** The beginning of each partition. */
      BEGINNING,
      /** The first records at or after a time (Kafka's offsetsForTimes). */
      SINCE
    }

    /** From now. */
    public static Start now() {
      return new Start(Kind.NOW, null);
    }

    /** From the beginning. */
    public static Start beginning() {
      return new Start(Kind.BEGINNING, null);
    }

    /** From {@code time}. */
    public static Start since(Instant time) {
      return new Start(Kind.SINCE, Objects.requireNonNull(time));
    }
  }
}
