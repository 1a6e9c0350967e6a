package io.maskstream.detector.store;

import io.maskstream.detector.DetectorConfig;
import io.maskstream.detector.ModelIdentity;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.avro.ModelServing;
import io.maskstream.schemas.models.ModelRegistry;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the fleet what this detector serves: a {@link ModelServing} record keyed by the detector's
 * id on the models serving topic, written when it starts, after every swap and refusal and every
 * {@link #INTERVAL}; {@link #close()} writes a tombstone. Reports are best effort: a report Kafka
 * does not take is logged (once until one is taken again) and never holds up detection.
 *
 * <p>Owns one producer, closed by {@link #close()}. Thread-safe.
 */
public final class ServingReporter implements AutoCloseable {
  /** How often a detector repeats its report; {@code maskstream models} calls it silent after 3. */
  public static final Duration INTERVAL = Duration.ofSeconds(30);

  private static final Logger log = LoggerFactory.getLogger(ServingReporter.class);
  private static final AtomicInteger IN_THIS_JVM = new AtomicInteger();

  private final String id;
  private final String applicationId;
  private final String topic;
  private final KafkaProducer<String, byte[]> producer;
  private final AvroSerde<ModelServing> serde;
  private final AtomicBoolean failing = new AtomicBoolean();
  private ModelIdentity serving;
  private Instant since;
  private String refusedVersion;
  private String refusal;
  private long lastReportNanos;
  private boolean closed;

  /** A reporter for a detector of {@code config}; nothing is written before {@link #serving}. */
  public ServingReporter(DetectorConfig config) {
    int n = IN_THIS_JVM.incrementAndGet();
    this.id = hostName() + "/" + ProcessHandle.current().pid() + (n == 1 ? "" : "#" + n);
    this.applicationId = config.applicationId();
    this.topic = ModelRegistry.servingTopic(config.topics().models());
    Map<String, Object> serdeConfig = new HashMap<>();
    config.kafka().forEach((k, v) -> serdeConfig.put(k.toString(), v));
    this.serde = new AvroSerde<>(ModelServing.class, serdeConfig, false);
    Properties p = config.kafka();
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    // a Kafka that does not answer must not hold the model watcher for long
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5000);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, applicationId + "-serving-" + n);
    this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
  }

  /** The detector's id: {@code HOST/PID}, with {@code #N} for the N-th detector of this JVM. */
  public String id() {
    return id;
  }

  /**
   * Reports that {@code version} serves for the model name {@code followed} (since now, when it is
   * another version than the last report's). The name is the one the detector follows, whatever
   * name the model's own metadata gives.
   */
  public synchronized void serving(String followed, String version) {
    ModelIdentity model = new ModelIdentity(followed, version);
    if (!model.equals(serving)) {
      serving = model;
      since = Instant.now();
    }
    report();
  }

  /** Reports that {@code version} was refused for {@code reason}. */
  public synchronized void refused(String version, String reason) {
    refusedVersion = version;
    refusal = reason;
    report();
  }

  /** Repeats the report when {@link #INTERVAL} has passed since the last one. */
  public synchronized void reportIfDue() {
    if (serving != null && System.nanoTime() - lastReportNanos >= INTERVAL.toNanos()) {
      report();
    }
  }

  private void report() {
    if (closed || serving == null) {
      return;
    }
    lastReportNanos = System.nanoTime();
    ModelServing value =
        ModelServing.newBuilder()
            .setDetector(id)
            .setApplicationId(applicationId)
            .setModel(serving.name())
            .setVersion(serving.version())
            .setSince(since)
            .setReportedTime(Instant.now())
            .setRefusedVersion(refusedVersion)
            .setRefusal(refusal)
            .build();
    send(serde.serialize(topic, value));
  }

  private void send(byte[] value) {
    try {
      producer.send(
          new ProducerRecord<>(topic, id, value),
          (metadata, e) -> {
            if (e == null) {
              if (failing.compareAndSet(true, false)) {
                log.info("reporting what this detector serves on {} again", topic);
              }
            } else if (value == null) {
              log.warn(
                  "cannot remove this detector's report from {} ({}): 'maskstream models' will"
                      + " show it as silent",
                  topic,
                  e.getMessage());
            } else if (failing.compareAndSet(false, true)) {
              log.warn(
                  "cannot report what this detector serves on {} ({}): 'maskstream models' will"
                      + " not list it until a report gets through",
                  topic,
                  e.getMessage());
            }
          });
    } catch (KafkaException e) {
      if (failing.compareAndSet(false, true)) {
        log.warn("cannot report what this detector serves on {}: {}", topic, e.getMessage());
      }
    }
  }

  /** Removes this detector's report (it stops serving) and closes the producer. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (serving != null) {
      send(null);
    }
    producer.close(Duration.ofSeconds(5));
    serde.close();
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      String env = System.getenv("HOSTNAME");
      return env != null && !env.isBlank() ? env : "localhost";
    }
  }
}
