package io.maskstream.ingest.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The meters of one camera, tagged {@code camera=<id>}: frames grabbed, sent and dropped (by
 * reason), reconnects, state and JPEG encode time. Thread-safe; lives as long as its registry.
 */
public final class CameraMetrics {
  /** Why a frame was not sent. */
  public enum DropReason {
    /** Replaced by a newer frame while Kafka was slow or unavailable. */
    SUPERSEDED,
    /** Kafka refused it or did not acknowledge it in time. */
    FAILED,
    /** Larger than the frames topic accepts even at the lowest JPEG quality. */
    OVERSIZE;

    String tag() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final String camera;
  private final MeterRegistry registry;
  private final Counter grabbed;
  private final Counter sent;
  private final Counter superseded;
  private final Counter failed;
  private final Counter oversize;
  private final Counter reconnects;
  private final Timer encode;
  private final AtomicInteger stateCode = new AtomicInteger(CameraState.CONNECTING.code());
  private final AtomicReference<CameraState> state = new AtomicReference<>(CameraState.CONNECTING);
  private final AtomicReference<String> lastError = new AtomicReference<>();
  private final AtomicReference<Handed> lastHanded = new AtomicReference<>();
  private final List<Meter> meters = new ArrayList<>();

  /**
   * The last frame handed to Kafka.
   *
   * @param sequence its sequence number
   * @param captureMillis its capture time
   */
  public record Handed(long sequence, long captureMillis) {}

  /** Registers the meters of {@code camera} in {@code registry}. */
  public CameraMetrics(MeterRegistry registry, String camera) {
    this.camera = camera;
    this.registry = registry;
    Tags tags = Tags.of("camera", camera);
    grabbed =
        keep(
            Counter.builder("maskstream.ingest.frames.grabbed")
                .description("Frames decoded from the source")
                .tags(tags)
                .register(registry));
    sent =
        keep(
            Counter.builder("maskstream.ingest.frames.sent")
                .description("Frames acknowledged by Kafka")
                .tags(tags)
                .register(registry));
    superseded = dropped(registry, tags, DropReason.SUPERSEDED);
    failed = dropped(registry, tags, DropReason.FAILED);
    oversize = dropped(registry, tags, DropReason.OVERSIZE);
    reconnects =
        keep(
            Counter.builder("maskstream.ingest.reconnects")
                .description("Attempts to reopen the source after a failure or end of stream")
                .tags(tags)
                .register(registry));
    encode =
        keep(
            Timer.builder("maskstream.ingest.encode")
                .description("Scaling and JPEG encoding time per sent frame")
                .tags(tags)
                .register(registry));
    keep(
        Gauge.builder("maskstream.ingest.camera.state", stateCode, AtomicInteger::get)
            .description(
                "0 connecting, 1 streaming, 2 down, 3 finished, 4 stopped, 5 invalid settings")
            .tags(tags)
            .register(registry));
    keep(
        Gauge.builder(
                "maskstream.ingest.camera.up", state, s -> s.get() == CameraState.STREAMING ? 1 : 0)
            .description("1 while frames are coming, else 0")
            .tags(tags)
            .register(registry));
  }

  private <M extends Meter> M keep(M meter) {
    meters.add(meter);
    return meter;
  }

  private Counter dropped(MeterRegistry registry, Tags tags, DropReason reason) {
    return keep(
        Counter.builder("maskstream.ingest.frames.dropped")
            .description("Frames not sent, by reason")
            .tags(tags.and("reason", reason.tag()))
            .register(registry));
  }

  /**
   * Removes this camera's meters from the registry (the camera left this process); the counts read
   * here go on working.
   */
  public void unregister() {
    meters.forEach(registry::remove);
  }

  /** Records the frame just handed to Kafka. */
  public void handed(long sequence, long captureMillis) {
    lastHanded.set(new Handed(sequence, captureMillis));
  }

  /** The last frame handed to Kafka, or {@code null}. */
  public Handed lastHanded() {
    return lastHanded.get();
  }

  /** Records why the source failed (passwords masked); {@code null} once it streams again. */
  public void lastError(String error) {
    lastError.set(error);
  }

  /** Why the source last failed, until it streams again; or {@code null}. */
  public String lastError() {
    return lastError.get();
  }

  /** The camera id. */
  public String camera() {
    return camera;
  }

  /** Counts a decoded frame. */
  public void grabbed() {
    grabbed.increment();
  }

  /** Counts a frame acknowledged by Kafka. */
  public void sent() {
    sent.increment();
  }

  /** Counts a frame that was not sent. */
  public void dropped(DropReason reason) {
    switch (reason) {
      case SUPERSEDED -> superseded.increment();
      case FAILED -> failed.increment();
      case OVERSIZE -> oversize.increment();
    }
  }

  /** Counts an attempt to reopen the source. */
  public void reconnect() {
    reconnects.increment();
  }

  /** Records the encode time of one frame. */
  public void encoded(long nanos) {
    encode.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** Sets the state; returns the previous one. */
  public CameraState state(CameraState next) {
    stateCode.set(next.code());
    return state.getAndSet(next);
  }

  /** The current state. */
  public CameraState state() {
    return state.get();
  }

  /** Frames decoded so far. */
  public long grabbedCount() {
    return (long) grabbed.count();
  }

  /** Frames acknowledged so far. */
  public long sentCount() {
    return (long) sent.count();
  }

  /** Frames dropped so far, all reasons. */
  public long droppedCount() {
    return (long) (superseded.count() + failed.count() + oversize.count());
  }

  /** Frames dropped so far for {@code reason}. */
  public long droppedCount(DropReason reason) {
    return (long)
        switch (reason) {
          case SUPERSEDED -> superseded.count();
          case FAILED -> failed.count();
          case OVERSIZE -> oversize.count();
        };
  }

  /** Reconnect attempts so far. */
  public long reconnectCount() {
    return (long) reconnects.count();
  }

  /** Mean encode time in milliseconds since start. */
  public double meanEncodeMillis() {
    return encode.mean(TimeUnit.NANOSECONDS) / 1e6;
  }
}
