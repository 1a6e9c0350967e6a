package io.maskstream.detector;

import io.maskstream.detector.model.ModelLoadException;
import io.maskstream.detector.model.ModelSegmenter;
import io.maskstream.detector.shadow.ShadowWatcher;
import io.maskstream.detector.shadow.ShadowingSegmenter;
import io.maskstream.detector.store.ModelWatcher;
import io.maskstream.detector.stream.DetectorMetrics;
import io.maskstream.detector.stream.MetricsEndpoint;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.Topics;
import io.maskstream.schemas.cli.KafkaRefusals;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.Collections;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.ThreadMetadata;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running detector: the model, the Kafka Streams application and the metrics endpoint.
 *
 * <p>Owns, in order of creation, the {@link ModelSegmenter} (one ONNX Runtime session shared by all
 * stream threads), the decode-ahead threads (one per stream thread), the {@link KafkaStreams}
 * instance, the optional metrics endpoint, the {@link ModelWatcher} and the {@link ShadowWatcher}
 * (with the session of a candidate it shadows); {@link #close(Duration)} closes them in reverse
 * order, the model last, after the streams have finished their in-flight frames.
 */
public final class DetectorService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DetectorService.class);
  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

  private final ModelSegmenter segmenter;
  private final ExecutorService decodeAhead;
  private final PrometheusMeterRegistry registry;
  private final DetectorMetrics metrics;
  private final KafkaStreams streams;
  private final KafkaStreamsMetrics streamsMetrics;
  private final MetricsEndpoint endpoint;
  private final ModelWatcher watcher;
  private final ShadowWatcher shadow;
  private final TopicNames topics;
  private final AtomicReference<Throwable> refusal;

  private DetectorService(
      ModelSegmenter segmenter,
      ExecutorService decodeAhead,
      PrometheusMeterRegistry registry,
      DetectorMetrics metrics,
      KafkaStreams streams,
      KafkaStreamsMetrics streamsMetrics,
      MetricsEndpoint endpoint,
      ModelWatcher watcher,
      ShadowWatcher shadow,
      TopicNames topics,
      AtomicReference<Throwable> refusal) {
    this.refusal = refusal;
    this.watcher = watcher;
    this.shadow = shadow;
    this.topics = topics;
    this.segmenter = segmenter;
    this.decodeAhead = decodeAhead;
    this.registry = registry;
    this.metrics = metrics;
    this.streams = streams;
    this.streamsMetrics = streamsMetrics;
    this.endpoint = endpoint;
  }

  /**
   * Loads the model, creates missing topics and starts the streams.
   *
   * @throws ModelLoadException when the model cannot serve
   * @throws IOException when the metrics port cannot be bound
   * @throws KafkaException when Kafka refuses the detector or fails otherwise than by not answering
   */
  public static DetectorService start(DetectorConfig config)
      throws ModelLoadException, IOException {
    ModelSegmenter segmenter = ModelSegmenter.open(config);
    // what the streams run: the serving model, whose frames a shadowed candidate also sees
    ShadowingSegmenter tap = new ShadowingSegmenter(segmenter);
    ExecutorService decodeAhead = decodeThreads(config.streamThreads());
    KafkaStreams streams = null;
    MetricsEndpoint endpoint = null;
    try {
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      DetectorMetrics metrics = new DetectorMetrics(registry);
      metrics.modelServing(segmenter.model());
      ensureTopicsOnceKafkaAnswers(config);
      Properties props = DetectorTopology.streamsProperties(config, segmenter.worstCaseMillis());
      streams = new KafkaStreams(DetectorTopology.build(config, tap, metrics, decodeAhead), props);
      AtomicReference<Throwable> refusal = new AtomicReference<>();
      streams.setUncaughtExceptionHandler(
          e -> {
            if (KafkaRefusals.isRefusal(e)) {
              // wrong credentials or a missing ACL: a new thread would be refused again
              refusal.compareAndSet(null, e);
              log.debug("Kafka refused the detector; stopping", e);
              return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            }
            log.error("stream thread failed, replacing it: {}", e.toString(), e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
          });
      KafkaStreamsMetrics streamsMetrics = new KafkaStreamsMetrics(streams);
      streamsMetrics.bindTo(registry);
      streams.start();
      if (config.metricsPort() > 0) {
        endpoint = new MetricsEndpoint(registry, config.metricsPort());
        log.info("metrics at http://0.0.0.0:{}/metrics", endpoint.port());
      }
      log.info(
          "detecting: {} -> {}, {} ({} mode, {} stream thread(s), poll interval {} ms)",
          config.topics().frames(),
          config.topics().detections(),
          config.topics().masks(),
          config.mode().name().toLowerCase(java.util.Locale.ROOT),
          config.streamThreads(),
          props.get(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG)));
      ModelWatcher watcher = new ModelWatcher(config, segmenter, metrics, segmenter.model().name());
      ShadowWatcher shadow;
      try {
        shadow =
            new ShadowWatcher(
                config,
                segmenter,
                tap,
                registry,
                segmenter.model().name(),
                watcher.detectorId(),
                ShadowWatcher.REPORT_INTERVAL);
      } catch (RuntimeException e) {
        watcher.close();
        throw e;
      }
      return new DetectorService(
          segmenter,
          decodeAhead,
          registry,
          metrics,
          streams,
          streamsMetrics,
          endpoint,
          watcher,
          shadow,
          config.topics(),
          refusal);
    } catch (RuntimeException | IOException e) {
      if (streams != null) {
        streams.close(Duration.ofSeconds(10));
      }
      decodeAhead.shutdownNow();
      segmenter.close();
      throw e;
    }
  }

  /**
   * Creates the missing topics, waiting for Kafka as long as it does not answer (a broker that
   * restarts, or starts after the detector): like Kafka Streams itself, a detector need not find
   * Kafka up when it starts. A refusal or any other error is not retried.
   */
  private static void ensureTopicsOnceKafkaAnswers(DetectorConfig config) {
    boolean waiting = false;
    while (true) {
      try (Admin admin = Admin.create(config.kafka())) {
        Topics.ensure(
            admin, Topics.specs(config.topics(), Topics.DEFAULT_PARTITIONS), ADMIN_TIMEOUT);
        if (waiting) {
          log.info("Kafka answers");
        }
        return;
      } catch (KafkaException e) {
        if (KafkaRefusals.isRefusal(e) || !unanswered(e)) {
          throw e;
        }
        if (!waiting) {
          log.warn(
              "Kafka at {} does not answer ({}); waiting for it",
              config.kafka().getProperty("bootstrap.servers"),
              e.getMessage());
          waiting = true;
        }
      }
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new KafkaException("interrupted while waiting for Kafka", e);
      }
    }
  }

  /** Whether {@code e} says Kafka did not answer in time (as opposed to answering no). */
  private static boolean unanswered(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.util.concurrent.TimeoutException
          || t instanceof org.apache.kafka.common.errors.RetriableException) {
        return true;
      }
    }
    return false;
  }

  /**
   * What Kafka refused (credentials, an ACL) that stopped the streams - the state is then {@code
   * ERROR} - or the model watcher; {@code null} while neither was refused.
   */
  public Throwable refusal() {
    Throwable streamsRefusal = refusal.get();
    return streamsRefusal != null ? streamsRefusal : watcher.refusal();
  }

  /**
   * Whether the detector cannot go on: its streams failed ({@code ERROR}) or Kafka refused the
   * model watcher (then the detector would no longer follow its model's new versions).
   */
  public boolean failed() {
    return streams.state() == KafkaStreams.State.ERROR || watcher.refusal() != null;
  }

  /** The Kafka Streams state. */
  public KafkaStreams.State state() {
    return streams.state();
  }

  /**
   * The partitions of the frames topic this instance is processing now, that is the cameras it
   * serves; empty before the first assignment and during a rebalance that revoked them all.
   */
  public Set<Integer> activeFramePartitions() {
    String frames = topics.frames();
    Set<Integer> out = new TreeSet<>();
    for (ThreadMetadata thread : streams.metadataForLocalThreads()) {
      for (TaskMetadata task : thread.activeTasks()) {
        for (TopicPartition tp : task.topicPartitions()) {
          if (tp.topic().equals(frames)) {
            out.add(tp.partition());
          }
        }
      }
    }
    return Collections.unmodifiableSet(out);
  }

  /**
   * The id under which this detector reports what it serves on the models serving topic ({@code
   * maskstream models} lists it).
   */
  public String detectorId() {
    return watcher.detectorId();
  }

  /** The model serving. */
  public ModelSegmenter segmenter() {
    return segmenter;
  }

  /** The detector's meters. */
  public DetectorMetrics metrics() {
    return metrics;
  }

  /** The Prometheus text of all meters. */
  public String scrape() {
    return registry.scrape();
  }

  /**
   * Stops consuming, lets in-flight frames finish and commit (up to {@code timeout}), then closes
   * the model and the metrics endpoint.
   *
   * @return whether the streams stopped within the timeout
   */
  public boolean close(Duration timeout) {
    shadow.close();
    watcher.close();
    boolean clean = streams.close(timeout);
    decodeAhead.shutdownNow();
    streamsMetrics.close();
    if (endpoint != null) {
      endpoint.close();
    }
    segmenter.close();
    registry.close();
    return clean;
  }

  /** Daemon threads that decode images ahead of the model, one per stream thread. */
  private static ExecutorService decodeThreads(int n) {
    AtomicInteger count = new AtomicInteger();
    return Executors.newFixedThreadPool(
        n,
        r -> {
          Thread t = new Thread(r, "maskstream-decode-" + count.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }

  /** {@link #close(Duration)} with 30 seconds. */
  @Override
  public void close() {
    close(Duration.ofSeconds(30));
  }
}
