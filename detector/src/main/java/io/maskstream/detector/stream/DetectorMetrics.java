package io.maskstream.detector.stream;

import io.maskstream.detector.ModelIdentity;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The detector's meters: frames processed, skipped and failed per camera, inference time and
 * capture-to-event latency histograms, and the model version serving. Thread-safe; the registry is
 * owned by the caller.
 *
 * <p>Camera labels are camera ids that follow the id rules (records of other ids count as {@value
 * #UNKNOWN}), and at most {@value #MAX_CAMERAS} of them: a producer writing ever new ids cannot
 * grow the metrics without bound; cameras beyond it count as {@value #OTHER}.
 */
public final class DetectorMetrics {
  /** Most distinct camera labels per counter. */
  public static final int MAX_CAMERAS = 1024;

  /** The label of records without a valid camera id. */
  static final String UNKNOWN = "unknown";

  /** The label of cameras beyond {@link #MAX_CAMERAS}. */
  static final String OTHER = "other";

  private final MeterRegistry registry;
  private final Map<String, Counter> processed = new ConcurrentHashMap<>();
  private final Map<String, Counter> skipped = new ConcurrentHashMap<>();
  private final Map<String, Counter> failed = new ConcurrentHashMap<>();
  private final Timer inference;
  private final Timer latency;
  private final DistributionSummary instances;
  private final Map<String, Counter> objectEvents = new ConcurrentHashMap<>();
  private final Map<String, Counter> zoneEvents = new ConcurrentHashMap<>();
  private final Map<String, java.util.concurrent.atomic.AtomicInteger> tracks =
      new ConcurrentHashMap<>();
  private final Timer trackStep;
  private final AtomicReference<ModelIdentity> model = new AtomicReference<>();
  private final Map<ModelIdentity, Gauge> modelGauges = new ConcurrentHashMap<>();

  /** Registers the meters in {@code registry}. */
  public DetectorMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.inference =
        Timer.builder("maskstream.detector.inference")
            .description("Model run time per frame")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofSeconds(30))
            .register(registry);
    this.latency =
        Timer.builder("maskstream.detector.latency")
            .description("Capture time to events emitted")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofMinutes(5))
            .register(registry);
    this.instances =
        DistributionSummary.builder("maskstream.detector.instances")
            .description("Detections per frame")
            .register(registry);
    this.trackStep =
        Timer.builder("maskstream.detector.track")
            .description("Tracking, zones and their state per frame")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofNanos(10_000))
            .maximumExpectedValue(Duration.ofSeconds(1))
            .register(registry);
  }

  /**
   * Records one frame's tracking: its time, the camera's confirmed tracks after it (tracked or
   * lost), and its object and zone events by type.
   */
  void tracked(
      String camera,
      long nanos,
      int confirmedTracks,
      Map<String, Integer> objectEventTypes,
      Map<String, Integer> zoneEventTypes) {
    trackStep.record(nanos, TimeUnit.NANOSECONDS);
    String label = label(tracks, camera);
    tracks
        .computeIfAbsent(
            label,
            cam -> {
              java.util.concurrent.atomic.AtomicInteger n =
                  new java.util.concurrent.atomic.AtomicInteger();
              Gauge.builder(
                      "maskstream.detector.tracks",
                      n,
                      java.util.concurrent.atomic.AtomicInteger::get)
                  .description("Confirmed tracks of the camera after its last frame")
                  .tag("camera", cam)
                  .register(registry);
              return n;
            })
        .set(confirmedTracks);
    objectEventTypes.forEach(
        (type, n) ->
            typed(objectEvents, "maskstream.detector.objects", camera, type, "Object events")
                .increment(n));
    zoneEventTypes.forEach(
        (type, n) ->
            typed(zoneEvents, "maskstream.detector.zone.events", camera, type, "Zone events")
                .increment(n));
  }

  private Counter typed(
      Map<String, Counter> map, String name, String camera, String type, String description) {
    // at most MAX_CAMERAS camera labels per counter, as for the frame counters
    String cam = camera;
    if (map.size() >= MAX_CAMERAS * 4 && !map.containsKey(camera + "\u0000" + type)) {
      cam = OTHER;
    }
    String c = cam;
    return map.computeIfAbsent(
        c + "\u0000" + type,
        k ->
            Counter.builder(name)
                .description(description)
                .tag("camera", c)
                .tag("type", type)
                .register(registry));
  }

  /** The count of a typed counter ({@code maskstream.detector.objects} or zone events) so far. */
  public double eventCount(String name, String camera, String type) {
    Counter c = registry.find(name).tag("camera", camera).tag("type", type).counter();
    return c == null ? 0 : c.count();
  }

  private static String label(Map<String, ?> map, String camera) {
    String label = camera == null ? UNKNOWN : camera;
    if (map.size() >= MAX_CAMERAS && !map.containsKey(label)) {
      label = OTHER;
    }
    return label;
  }

  /** The registry the meters live in. */
  public MeterRegistry registry() {
    return registry;
  }

  void processed(String camera, double inferenceMs, long latencyMs, int detections) {
    counter(processed, "maskstream.detector.frames.processed", camera, "Frames processed")
        .increment();
    inference.record((long) (inferenceMs * 1_000_000), TimeUnit.NANOSECONDS);
    latency.record(Math.max(0, latencyMs), TimeUnit.MILLISECONDS);
    instances.record(detections);
  }

  /** Counts one frame skipped for age; returns the camera's skipped count so far. */
  long skipped(String camera) {
    Counter c =
        counter(skipped, "maskstream.detector.frames.skipped", camera, "Frames skipped (too old)");
    c.increment();
    return (long) c.count();
  }

  /**
   * Counts one frame sent to the dead-letter topic; {@code camera} null when it has no valid id.
   */
  void failed(String camera) {
    counter(failed, "maskstream.detector.frames.failed", camera, "Frames sent to the DLQ")
        .increment();
  }

  /** Marks {@code identity} as the model serving (gauge value 1, the previous one 0). */
  public void modelServing(ModelIdentity identity) {
    model.set(identity);
    modelGauges.computeIfAbsent(
        identity,
        id ->
            Gauge.builder("maskstream.detector.model", model, m -> id.equals(m.get()) ? 1 : 0)
                .description("1 for the model version serving")
                .tag("name", id.name())
                .tag("version", id.version())
                .register(registry));
  }

  /** Frames processed for a camera so far. */
  public double processedCount(String camera) {
    Counter c = processed.get(camera);
    return c == null ? 0 : c.count();
  }

  /** Frames skipped for a camera so far. */
  public double skippedCount(String camera) {
    Counter c = skipped.get(camera);
    return c == null ? 0 : c.count();
  }

  /** Frames failed for a camera so far. */
  public double failedCount(String camera) {
    Counter c = failed.get(camera);
    return c == null ? 0 : c.count();
  }

  private Counter counter(
      Map<String, Counter> map, String name, String camera, String description) {
    String label = label(map, camera);
    return map.computeIfAbsent(
        label,
        cam ->
            Counter.builder(name).description(description).tag("camera", cam).register(registry));
  }
}
