package io.maskstream.detector.store;

import io.maskstream.detector.DetectorConfig;
import io.maskstream.detector.model.GraphContract;
import io.maskstream.detector.model.ModelLoadException;
import io.maskstream.detector.model.ModelSegmenter;
import io.maskstream.detector.model.OnnxMaskRcnn;
import io.maskstream.detector.stream.DetectorMetrics;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.CompactedTopic;
import io.maskstream.schemas.avro.ModelAnnouncement;
import io.maskstream.schemas.avro.ModelContract;
import io.maskstream.schemas.cli.KafkaRefusals;
import io.maskstream.schemas.models.ModelStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the models topic and hot-swaps the detector's model: for every announcement of the
 * followed model name with a version other than the one serving, it fetches the file, verifies its
 * sha256, loads it, checks its contract, warms it up and swaps ({@link ModelSegmenter#swapTo}).
 * With trusted keys ({@code --trust}), the announcement must first carry a signature by one of them
 * of the followed name and the file's sha256 ({@link ModelSignatures}); the file is then bound to
 * it by the sha256 check. A model failing any step is refused with a logged reason; the current one
 * keeps serving. What serves, and the last refusal, are reported on the models serving topic
 * ({@link ServingReporter}).
 *
 * <p>Owns one consumer and one {@link ServingReporter} on one thread, all stopped by {@link
 * #close()}.
 */
public final class ModelWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ModelWatcher.class);

  private final DetectorConfig config;
  private final ModelSegmenter segmenter;
  private final DetectorMetrics metrics;
  private final String followed;
  private final ModelStore store;
  private final ServingReporter reporter;
  private final KafkaConsumer<String, byte[]> consumer;
  private final AvroSerde<ModelAnnouncement> serde;
  private final Thread thread;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicReference<Throwable> refusal = new AtomicReference<>();

  /**
   * Refusals by sha256, location and signature: the same file at the same place, signed the same
   * way, is not tried again.
   */
  private final Map<String, String> refused = new HashMap<>();

  /** Starts following announcements of {@code followed} (the serving model's name by default). */
  public ModelWatcher(
      DetectorConfig config, ModelSegmenter segmenter, DetectorMetrics metrics, String followed) {
    this.config = config;
    this.segmenter = segmenter;
    this.metrics = metrics;
    this.followed = followed;
    this.store = new ModelStore(config.kafka(), ModelStore.topicFor(config.topics().models()));
    Map<String, Object> serdeConfig = new HashMap<>();
    config.kafka().forEach((k, v) -> serdeConfig.put(k.toString(), v));
    this.serde = new AvroSerde<>(ModelAnnouncement.class, serdeConfig, false);
    this.consumer = CompactedTopic.follower(config.kafka(), config.topics().models());
    if (config.trust() == null) {
      log.warn(
          "announced models are not verified: anyone who can write to {} can make this detector"
              + " run their model; give --trust with the publisher's public key",
          config.topics().models());
    } else {
      log.info(
          "models announced on {} must be signed by one of {} trusted key(s): {}",
          config.topics().models(),
          config.trust().keys().size(),
          config.trust().keys().keySet());
    }
    try {
      this.reporter = new ServingReporter(config);
    } catch (RuntimeException e) {
      consumer.close(Duration.ZERO);
      throw e;
    }
    this.thread = new Thread(this::run, "model-watcher");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    try {
      reporter.serving(followed, segmenter.model().version());
      while (running.get()) {
        reporter.reportIfDue();
        ModelAnnouncement latest = null;
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofSeconds(1))) {
          if (!followed.equals(r.key())) {
            continue;
          }
          try {
            latest = r.value() == null ? null : serde.deserialize(r.topic(), r.value());
          } catch (SerializationException e) {
            log.warn("unreadable announcement at offset {}: {}", r.offset(), e.getMessage());
          }
        }
        if (latest != null) {
          consider(latest);
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
      // wrong credentials or no ACL to read the models topic: following it again would be refused
      // again, and a detector that silently stopped following its model is worse than one that
      // stops
      refusal.set(e);
      log.debug("Kafka refused the model watcher", e);
    } finally {
      consumer.close(Duration.ofSeconds(5));
      reporter.close();
    }
  }

  /**
   * What Kafka refused the watcher (credentials, no ACL to read the models topic), which stopped
   * it; {@code null} while it follows the topic.
   */
  public Throwable refusal() {
    return refusal.get();
  }

  /** Only the newest announcement of a poll matters: older ones are superseded. */
  private void consider(ModelAnnouncement a) {
    String version = a.getVersion();
    if (version.equals(segmenter.model().version()) || refused.containsKey(refusalKey(a))) {
      return;
    }
    String serving = segmenter.model().toString();
    try {
      OnnxMaskRcnn candidate = validated(config, store, followed, a);
      segmenter.swapTo(candidate);
      metrics.modelServing(segmenter.model());
      reporter.serving(followed, segmenter.model().version());
    } catch (IOException | ModelLoadException | RuntimeException e) {
      refused.put(refusalKey(a), e.getMessage());
      reporter.refused(version, e.getMessage());
      log.warn(
          "refused model {}@{}: {}; still serving {}",
          a.getName(),
          version,
          e.getMessage(),
          serving);
    }
  }

  /**
   * Fetches, checks and loads an announced model as a swap does: its signature by a trusted key of
   * {@code config} (when the detector trusts keys) for the name {@code followed}, the sha256 of the
   * fetched file, and its graph's contract against the announced one. The caller owns the model
   * returned.
   *
   * @throws IOException when the file cannot be fetched
   * @throws ModelLoadException when a check fails or the model does not load
   */
  public static OnnxMaskRcnn validated(
      DetectorConfig config, ModelStore store, String followed, ModelAnnouncement a)
      throws IOException, ModelLoadException {
    if (config.trust() != null) {
      // signed for the name it is followed by: a model signed for another name does not serve
      String refusal =
          config
              .trust()
              .refusal(
                  followed,
                  a.getSha256(),
                  a.getSigningKey(),
                  a.getSignature() == null ? null : bytes(a.getSignature()));
      if (refusal != null) {
        throw new ModelLoadException(refusal);
      }
    }
    byte[] bytes = store.fetch(a.getLocation());
    String sha = OnnxMaskRcnn.sha256Hex(bytes);
    if (!sha.equalsIgnoreCase(a.getSha256())) {
      throw new ModelLoadException(
          "sha256 of the fetched file is " + sha + ", the announcement says " + a.getSha256());
    }
    OnnxMaskRcnn candidate = OnnxMaskRcnn.load(bytes, a.getName(), config);
    if (a.getContract() != ModelContract.UNKNOWN
        && candidate.contract().toAvro() != a.getContract()
        && !(a.getContract() == ModelContract.MASKSTREAM
            && candidate.contract() == GraphContract.TORCHVISION)) {
      candidate.close();
      throw new ModelLoadException(
          "the graph follows the "
              + candidate.contract()
              + " contract, the announcement says "
              + a.getContract());
    }
    return candidate;
  }

  /** The same file at the same place, signed the same way: refused once, not tried again. */
  public static String refusalKey(ModelAnnouncement a) {
    return a.getSha256()
        + " "
        + a.getLocation()
        + " "
        + a.getSigningKey()
        + " "
        + (a.getSignature() == null
            ? ""
            : java.util.HexFormat.of().formatHex(bytes(a.getSignature())));
  }

  private static byte[] bytes(ByteBuffer buffer) {
    ByteBuffer b = buffer.duplicate();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  /** The id this detector reports what it serves under ({@link ServingReporter#id()}). */
  public String detectorId() {
    return reporter.id();
  }

  /** Stops following; a swap in progress completes first. */
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
