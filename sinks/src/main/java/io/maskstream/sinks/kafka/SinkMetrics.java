package io.maskstream.sinks.kafka;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Prometheus metrics of one sink, all tagged {@code sink=NAME}: records read per topic, records
 * sent to the dead-letter topic, frames (or rows) written, write batches, plus JVM memory, threads
 * and CPU.
 *
 * <p>Owns its registry for the sink's lifetime; thread-safe.
 */
public final class SinkMetrics {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final String sink;
  private final Map<String, Counter> recordsByTopic = new ConcurrentHashMap<>();
  private final Counter deadLetters;
  private final Counter framesWritten;
  private final Timer batchWrites;

  /** Metrics for the sink named {@code sink} ({@code web}, {@code postgres}, {@code jsonl}). */
  public SinkMetrics(String sink) {
    this.sink = sink;
    registry.config().commonTags("sink", sink);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    deadLetters =
        Counter.builder("maskstream.sink.dead.letters")
            .description("Records sent to the dead-letter topic")
            .register(registry);
    framesWritten =
        Counter.builder("maskstream.sink.frames")
            .description("Frames whose events were written or shown")
            .register(registry);
    batchWrites =
        Timer.builder("maskstream.sink.batch")
            .description("Time to make one batch durable")
            .register(registry);
  }

  /** Counts one record read from {@code topic}. */
  public void recordRead(String topic) {
    recordsByTopic
        .computeIfAbsent(
            topic,
            t ->
                Counter.builder("maskstream.sink.records")
                    .description("Records read")
                    .tag("topic", t)
                    .register(registry))
        .increment();
  }

  /** Counts one dead letter. */
  public void deadLetter() {
    deadLetters.increment();
  }

  /** Counts {@code n} frames written or shown. */
  public void framesWritten(int n) {
    framesWritten.increment(n);
  }

  /** The batch write timer. */
  public Timer batchTimer() {
    return batchWrites;
  }

  /** The registry, for sink-specific gauges. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** The sink's name. */
  public String sink() {
    return sink;
  }

  /** Prometheus text exposition of every metric. */
  public String scrape() {
    return registry.scrape();
  }
}
