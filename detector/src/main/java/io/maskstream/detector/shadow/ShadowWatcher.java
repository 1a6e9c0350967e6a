package io.maskstream.detector.shadow;

import io.maskstream.detector.DetectorConfig;
import io.maskstream.detector.model.ModelLoadException;
import io.maskstream.detector.model.ModelSegmenter;
import io.maskstream.detector.model.OnnxMaskRcnn;
import io.maskstream.detector.store.ModelWatcher;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.CompactedTopic;
import io.maskstream.schemas.avro.ModelAnnouncement;
import io.maskstream.schemas.avro.ShadowCandidate;
import io.maskstream.schemas.avro.ShadowReport;
import io.maskstream.schemas.avro.ShadowState;
import io.maskstream.schemas.cli.KafkaRefusals;
import io.maskstream.schemas.models.ModelRegistry;
import io.maskstream.schemas.models.ModelStore;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the shadow topic ({@code MODELS.shadow}) for the model this detector serves: when a
 * candidate is set for it, checks the candidate as a swap would ({@link ModelWatcher#validated}:
 * signature when the detector trusts keys, sha256, contract) and that it knows the serving model's
 * classes, then runs it beside the serving model ({@link ShadowRunner} tapped into the {@link
 * ShadowingSegmenter}); when the candidate is removed (a tombstone), replaced, or becomes the
 * version serving (promoted), stops it. Every {@link #REPORT_INTERVAL} (1, 2, 4 and 8 s after it
 * starts, so that the first figures show soon), and whenever the shadow starts, stops, is refused
 * or fails, writes a {@link ShadowReport} keyed by model, candidate version and detector id on the
 * shadow reports topic.
 *
 * <p>Owns one consumer, one producer, one thread and the runner it started, all closed by {@link
 * #close()}. Reports are best effort: a report Kafka does not take is logged once and never holds
 * up detection.
 */
public final class ShadowWatcher implements AutoCloseable {
  /** How often a detector reports how its candidate agrees. */
  public static final Duration REPORT_INTERVAL = Duration.ofSeconds(10);

  private static final Logger log = LoggerFactory.getLogger(ShadowWatcher.class);

  private final DetectorConfig config;
  private final ModelSegmenter serving;
  private final ShadowingSegmenter tap;
  private final MeterRegistry registry;
  private final String followed;
  private final String detectorId;
  private final Duration reportInterval;
  private final String shadowTopic;
  private final String reportsTopic;
  private final ModelStore store;
  private final KafkaConsumer<String, byte[]> consumer;
  private final KafkaProducer<String, byte[]> producer;
  private final AvroSerde<ShadowCandidate> candidateSerde;
  private final AvroSerde<ShadowReport> reportSerde;
  private final Thread thread;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicBoolean failing = new AtomicBoolean();
  private final Set<String> refused = new HashSet<>();

  private ShadowCandidate current;
  private ShadowRunner runner;
  private Instant startedTime;
  private long lastReportNanos;
  private int reportsSinceStart;

  /**
   * Starts following the candidates of {@code followed}.
   *
   * @param serving the serving model, to compare classes and versions with
   * @param tap where the runner is set, so that it sees the frames
   * @param registry where the runner's meters go
   * @param detectorId the id the detector reports under
   * @param reportInterval how often to report ({@link #REPORT_INTERVAL} in a detector)
   */
  public ShadowWatcher(
      DetectorConfig config,
      ModelSegmenter serving,
      ShadowingSegmenter tap,
      MeterRegistry registry,
      String followed,
      String detectorId,
      Duration reportInterval) {
    this.config = config;
    this.serving = serving;
    this.tap = tap;
    this.registry = registry;
    this.followed = followed;
    this.detectorId = detectorId;
    this.reportInterval = reportInterval;
    String models = config.topics().models();
    this.shadowTopic = ModelRegistry.shadowTopic(models);
    this.reportsTopic = ModelRegistry.shadowReportsTopic(models);
    this.store = new ModelStore(config.kafka(), ModelStore.topicFor(models));
    Map<String, Object> serdeConfig = new HashMap<>();
    config.kafka().forEach((k, v) -> serdeConfig.put(k.toString(), v));
    this.candidateSerde = new AvroSerde<>(ShadowCandidate.class, serdeConfig, false);
    this.reportSerde = new AvroSerde<>(ShadowReport.class, serdeConfig, false);
    this.consumer = CompactedTopic.follower(config.kafka(), shadowTopic);
    Properties p = config.kafka();
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    // a Kafka that does not answer must not hold the shadow watcher for long
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5000);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
    p.put(
        ProducerConfig.CLIENT_ID_CONFIG,
        config.applicationId() + "-shadow-" + detectorId.replaceAll("[^A-Za-z0-9._-]", "_"));
    try {
      this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    } catch (RuntimeException e) {
      consumer.close(Duration.ZERO);
      throw e;
    }
    this.thread = new Thread(this::run, "shadow-watcher");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    try {
      while (running.get()) {
        boolean seen = false;
        ShadowCandidate latest = null;
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofSeconds(1))) {
          if (!followed.equals(r.key())) {
            continue;
          }
          try {
            latest = r.value() == null ? null : candidateSerde.deserialize(r.topic(), r.value());
            seen = true;
          } catch (SerializationException e) {
            log.warn("unreadable shadow candidate at offset {}: {}", r.offset(), e.getMessage());
          }
        }
        if (seen) {
          consider(latest);
        }
        check();
        if (runner != null && System.nanoTime() - lastReportNanos >= dueAfter().toNanos()) {
          report(ShadowState.RUNNING, null);
        }
      }
    } catch (WakeupException e) {
      if (running.get()) {
        throw e;
      }
    } catch (RuntimeException e) {
      if (!KafkaRefusals.isRefusal(e)) {
        throw e;
      }
      // without the ACL to read the shadow topic the detector goes on, without shadowing
      log.warn("Kafka refused following {}: no candidate will be shadowed", shadowTopic, e);
    } finally {
      stop(ShadowState.STOPPED, null);
      consumer.close(Duration.ofSeconds(5));
      producer.close(Duration.ofSeconds(5));
      candidateSerde.close();
      reportSerde.close();
    }
  }

  /**
   * The time between reports: 1, 2, 4, 8 s after a shadow starts, so that its first figures show
   * soon, then the report interval.
   */
  private Duration dueAfter() {
    Duration early = Duration.ofSeconds(1L << Math.min(reportsSinceStart, 20));
    return early.compareTo(reportInterval) < 0 ? early : reportInterval;
  }

  /** Stops a candidate that failed, or that now serves (promoted). */
  private void check() {
    if (runner == null) {
      return;
    }
    if (!runner.running()) {
      stop(ShadowState.FAILED, runner.failure());
    } else if (runner.version().equals(serving.model().version())) {
      log.info("{}@{} serves now: it is no longer shadowed", followed, runner.version());
      stop(ShadowState.STOPPED, null);
    }
  }

  /** The newest candidate set for the followed model, null when removed. */
  private void consider(ShadowCandidate c) {
    if (c == null) {
      if (runner != null) {
        log.info("the shadow of {}@{} was ended", followed, runner.version());
      }
      stop(ShadowState.STOPPED, null);
      current = null;
      return;
    }
    ModelAnnouncement a = c.getCandidate();
    if (runner != null
        && runner.version().equals(a.getVersion())
        && runner.sample() == c.getSample()) {
      return; // already shadowing it (set again with another sample rate: restarted)
    }
    stop(ShadowState.STOPPED, null);
    current = c;
    startedTime = Instant.now();
    reportsSinceStart = 0;
    if (a.getVersion().equals(serving.model().version())) {
      return; // it serves already
    }
    String key = ModelWatcher.refusalKey(a);
    if (refused.contains(key)) {
      return;
    }
    try {
      runner = new ShadowRunner(validated(a), followed, c.getSample(), registry);
      tap.shadow(runner);
      log.info(
          "shadowing {}@{} beside {} on {}% of the frames; its events are not emitted",
          followed, a.getVersion(), serving.model(), Math.round(c.getSample() * 1000) / 10.0);
      report(ShadowState.RUNNING, null);
    } catch (IOException | ModelLoadException | RuntimeException e) {
      refused.add(key);
      log.warn(
          "refused to shadow {}@{}: {}; still serving {} alone",
          followed,
          a.getVersion(),
          e.getMessage(),
          serving.model());
      report(ShadowState.REFUSED, e.getMessage());
      current = null;
    }
  }

  /** The candidate, checked as a swap checks a model, with the serving model's classes. */
  private OnnxMaskRcnn validated(ModelAnnouncement a) throws IOException, ModelLoadException {
    OnnxMaskRcnn candidate = ModelWatcher.validated(config, store, followed, a);
    OnnxMaskRcnn now = serving.currentModel();
    if (!candidate.contract().sameInputsAndOutputs(now.contract())) {
      candidate.close();
      throw new ModelLoadException(
          "the candidate follows the "
              + candidate.contract()
              + " contract, the serving model the "
              + now.contract());
    }
    if (!candidate.classes().names().equals(now.classes().names())) {
      candidate.close();
      throw new ModelLoadException(
          "the candidate's classes "
              + candidate.classes().names()
              + " are not the serving model's "
              + now.classes().names());
    }
    return candidate;
  }

  /** Stops the runner, if any, with a last report in {@code state}. */
  private void stop(ShadowState state, String reason) {
    if (runner == null) {
      return;
    }
    tap.shadow(null);
    runner.close();
    if (state == ShadowState.FAILED) {
      refused.add(ModelWatcher.refusalKey(current.getCandidate()));
    }
    report(state, reason);
    runner = null;
  }

  private void report(ShadowState state, String reason) {
    if (current == null) {
      return;
    }
    lastReportNanos = System.nanoTime();
    reportsSinceStart++;
    ModelAnnouncement a = current.getCandidate();
    ShadowTotals totals = runner == null ? ShadowTotals.EMPTY : runner.totals();
    ShadowReport value =
        totals
            .into(ShadowReport.newBuilder())
            .setDetector(detectorId)
            .setModel(followed)
            .setServingVersion(serving.model().version())
            .setCandidateVersion(a.getVersion())
            .setSample(current.getSample())
            .setState(state)
            .setReason(reason)
            .setStartedTime(startedTime)
            .setReportedTime(Instant.now())
            .build();
    String key = ModelRegistry.shadowReportKey(followed, a.getVersion(), detectorId);
    try {
      producer.send(
          new ProducerRecord<>(reportsTopic, key, reportSerde.serialize(reportsTopic, value)),
          (metadata, e) -> {
            if (e == null) {
              failing.set(false);
            } else if (failing.compareAndSet(false, true)) {
              log.warn("cannot report the shadow on {}: {}", reportsTopic, e.getMessage());
            }
          });
    } catch (KafkaException e) {
      if (failing.compareAndSet(false, true)) {
        log.warn("cannot report the shadow on {}: {}", reportsTopic, e.getMessage());
      }
    }
  }

  /** Stops following; the candidate's session is closed, its last report written. */
  @Override
  public void close() {
    running.set(false);
    consumer.wakeup();
    try {
      thread.join(Duration.ofSeconds(30).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
