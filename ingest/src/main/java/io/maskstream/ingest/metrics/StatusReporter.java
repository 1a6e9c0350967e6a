package io.maskstream.ingest.metrics;

import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.CameraUrls;
import io.maskstream.schemas.avro.CameraRunState;
import io.maskstream.schemas.avro.CameraStatus;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports how this process's cameras are doing to the camera status topic (Avro {@link
 * CameraStatus}, keyed by camera id): every {@code interval} for each running camera, and once more
 * when a camera stops here ({@link #stopped}) or is removed ({@link #removed}, a tombstone).
 *
 * <p>Reports are best effort: a report Kafka does not take is logged (once per distinct reason) and
 * the next one follows; frames never wait for them. Owns its producer and thread.
 */
public final class StatusReporter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StatusReporter.class);

  private final KafkaProducer<String, byte[]> producer;
  private final AvroSerde<CameraStatus> serde;
  private final String topic;
  private final String owner;
  private final Duration interval;
  private final Supplier<List<CameraMetrics>> running;
  private final ScheduledExecutorService timer;
  private final Map<String, Long> sentAtLastReport = new ConcurrentHashMap<>();
  private final Map<String, Long> lastReportNanos = new ConcurrentHashMap<>();
  private volatile String lastFailure;

  /**
   * Starts reporting the cameras {@code running} returns every {@code interval}.
   *
   * @param properties Kafka client properties
   */
  public StatusReporter(
      Properties properties,
      String topic,
      Duration interval,
      Supplier<List<CameraMetrics>> running) {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 20_000);
    // a missing topic or an unreachable Kafka must not hold a camera's stop up for long
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
    config.put(ProducerConfig.CLIENT_ID_CONFIG, "maskstream-ingest-status");
    for (String name : properties.stringPropertyNames()) {
      config.put(name, properties.getProperty(name));
    }
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    this.producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
    this.serde = new AvroSerde<>(CameraStatus.class);
    serde.configure(config, false);
    this.topic = topic;
    this.owner = owner();
    this.interval = interval;
    this.running = running;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "ingest-camera-status");
              t.setDaemon(true);
              return t;
            });
    long period = interval.toMillis();
    timer.scheduleAtFixedRate(this::reportAll, period, period, TimeUnit.MILLISECONDS);
  }

  /** This process as reports name it: host name and process id. */
  static String owner() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      host = "unknown-host";
    }
    return host + " pid " + ProcessHandle.current().pid();
  }

  /** The name reports give this process. */
  public String ownerName() {
    return owner;
  }

  private void reportAll() {
    try {
      for (CameraMetrics camera : running.get()) {
        send(camera.camera(), status(camera, stateOf(camera)));
      }
    } catch (RuntimeException e) {
      failed(e);
    }
  }

  private static CameraRunState stateOf(CameraMetrics camera) {
    return CameraRunState.valueOf(camera.state().name());
  }

  /** A report of {@code camera} now, in {@code state}. */
  CameraStatus status(CameraMetrics camera, CameraRunState state) {
    long now = System.nanoTime();
    long sent = camera.sentCount();
    Long previousSent = sentAtLastReport.put(camera.camera(), sent);
    Long previousNanos = lastReportNanos.put(camera.camera(), now);
    double fps = 0;
    if (previousSent != null && previousNanos != null && now > previousNanos) {
      fps = (sent - previousSent) * 1e9 / (now - previousNanos);
    }
    CameraMetrics.Handed handed = camera.lastHanded();
    return CameraStatus.newBuilder()
        .setCamera(camera.camera())
        .setOwner(owner)
        .setState(state)
        .setFps(Math.round(fps * 100) / 100.0)
        .setFramesSent(sent)
        .setLastSequence(handed == null ? null : handed.sequence())
        .setLastFrameTime(handed == null ? null : Instant.ofEpochMilli(handed.captureMillis()))
        .setReconnects(camera.reconnectCount())
        .setLastError(CameraUrls.mask(camera.lastError()))
        .setReportedAt(Instant.now())
        .setReportIntervalMs((int) interval.toMillis())
        .build();
  }

  /**
   * Reports the {@code cameras} as stopped by this process (moved, disabled or shut down) and waits
   * until Kafka took the reports (at most {@value #WAIT_SECONDS} s), so the next owner's reports
   * come after them.
   */
  public void stopped(List<CameraMetrics> cameras) {
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    for (CameraMetrics camera : cameras) {
      sent.add(sendRecord(camera.camera(), serialize(status(camera, CameraRunState.STOPPED))));
      forget(camera.camera());
    }
    await(sent);
  }

  /**
   * Removes the reports of the {@code cameras}, whose definitions were removed (tombstones), and
   * waits until Kafka took them (at most {@value #WAIT_SECONDS} s).
   */
  public void removed(List<String> cameras) {
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    for (String camera : cameras) {
      sent.add(sendRecord(camera, null));
      forget(camera);
    }
    await(sent);
  }

  /** How long a camera's stop waits for its last report. */
  static final int WAIT_SECONDS = 5;

  private void forget(String camera) {
    sentAtLastReport.remove(camera);
    lastReportNanos.remove(camera);
  }

  private byte[] serialize(CameraStatus status) {
    return serde.serialize(topic, status);
  }

  private void send(String camera, CameraStatus status) {
    sendRecord(camera, serialize(status));
  }

  private Future<RecordMetadata> sendRecord(String camera, byte[] value) {
    try {
      return producer.send(
          new ProducerRecord<>(topic, camera, value),
          (metadata, error) -> {
            if (error != null) {
              failed(error);
            }
          });
    } catch (KafkaException e) {
      failed(e);
      return CompletableFuture.completedFuture(null);
    }
  }

  private void await(List<Future<RecordMetadata>> sent) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    for (Future<RecordMetadata> f : sent) {
      try {
        f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (ExecutionException | TimeoutException e) {
        failed(e);
      }
    }
  }

  private void failed(Throwable e) {
    Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
    String reason = cause == null ? e.toString() : cause.toString();
    if (!reason.equals(lastFailure)) {
      lastFailure = reason;
      LOG.warn(
          "a camera status report did not reach {} ({}); frames go on, reports are retried at the"
              + " next interval",
          topic,
          reason);
    }
  }

  /** Stops reporting; reports already handed over are sent, for at most 5 s. */
  @Override
  public void close() {
    timer.shutdownNow();
    try {
      producer.close(Duration.ofSeconds(5));
    } catch (KafkaException e) {
      LOG.debug("closing the status producer", e);
    }
    serde.close();
  }
}
