package io.maskstream.ingest.cameras;

import io.maskstream.ingest.IngestConfig;
import io.maskstream.ingest.IngestService;
import io.maskstream.ingest.publish.FrameTail;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.CameraUrls;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.avro.Camera;
import io.maskstream.schemas.cli.KafkaRefusals;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the cameras of the cameras topic that Kafka assigns to this process: a consumer in a group
 * (default {@value #DEFAULT_GROUP}) subscribed to the topic, whose partitions are the unit of
 * assignment among the ingest processes of the group.
 *
 * <p>On assignment the new partitions are read from their beginning; once a partition is read to
 * the end offset it had then, its enabled cameras start. Later records apply as they come: a new
 * camera starts, a changed one restarts (only that one), a tombstone or a disabled definition stops
 * it. On revocation (a process joins or leaves) the cameras of the revoked partitions are stopped
 * before the listener returns, so the next owner starts them only after they stopped here. A
 * process that dies without leaving loses its partitions after the group's session timeout ({@code
 * session.timeout.ms}, {@value #DEFAULT_SESSION_TIMEOUT_MS} ms unless the client properties set
 * it). Records that do not decode or break the rules are logged once and skipped; a camera keeps
 * its previous valid definition.
 *
 * <p>Offsets are never committed: every assignment rebuilds the partitions' cameras from the
 * compacted topic.
 */
public final class TopicCameras implements AutoCloseable {
  /** The consumer group ingest processes share by default. */
  public static final String DEFAULT_GROUP = "maskstream-ingest";

  /** Session timeout unless set: how long the group waits for a process that went silent. */
  public static final int DEFAULT_SESSION_TIMEOUT_MS = 10_000;

  /**
   * Heartbeat interval unless set: how soon the processes that stay learn that one left or joined.
   */
  public static final int DEFAULT_HEARTBEAT_INTERVAL_MS = 1_000;

  private static final Logger LOG = LoggerFactory.getLogger(TopicCameras.class);
  private static final Duration POLL = Duration.ofMillis(500);

  private final IngestService service;
  private final Properties clientProperties;
  private final String topic;
  private final FrameTail tail;
  private final KafkaConsumer<String, byte[]> consumer;
  private final AvroSerde<Camera> serde;
  private final Thread thread;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean closing;

  // consumer thread only
  private final Map<TopicPartition, Long> loading = new HashMap<>();
  private final Map<TopicPartition, Map<String, IngestConfig.Camera>> wanted = new HashMap<>();
  private final Map<String, Started> started = new LinkedHashMap<>();
  private final Set<String> reported = new HashSet<>();
  // cameras whose definition was removed (not disabled) since the last reconcile
  private final Set<String> removed = new HashSet<>();

  private record Started(TopicPartition partition, IngestConfig.Camera camera) {}

  /** How often the cameras' status is reported. */
  public static final Duration STATUS_INTERVAL = Duration.ofSeconds(2);

  private static final Duration TAIL_TIMEOUT = Duration.ofSeconds(10);

  private TopicCameras(IngestService service, Properties props, TopicNames topics, String group) {
    this.clientProperties = props;
    this.service = service;
    this.topic = topics.cameras();
    this.tail = new FrameTail(props, topics.frames(), topics.cameraStatus());
    this.consumer =
        new KafkaConsumer<>(
            consumerProperties(props, group),
            new StringDeserializer(),
            new ByteArrayDeserializer());
    this.serde = CameraTopic.serde(props);
    this.thread = new Thread(this::run, "ingest-cameras");
  }

  /**
   * Joins {@code group} on the cameras topic and runs the assigned cameras in {@code service} until
   * {@link #close()}, reporting their status to the camera status topic. A refusal by Kafka that
   * retrying cannot cure ends {@code service} with the reason.
   *
   * @param props Kafka client properties
   */
  public static TopicCameras start(
      IngestService service, Properties props, TopicNames topics, String group) {
    service.reportStatus(props, topics.cameraStatus(), STATUS_INTERVAL);
    TopicCameras cameras = new TopicCameras(service, props, topics, group);
    cameras.thread.start();
    return cameras;
  }

  /** The consumer's settings: the client properties, then this class's defaults and guarantees. */
  static Properties consumerProperties(Properties props, String group) {
    Properties p = new Properties();
    p.putAll(props);
    p.putIfAbsent(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, DEFAULT_SESSION_TIMEOUT_MS);
    // the staying processes hear of a rebalance with their next heartbeat: it bounds a move
    p.putIfAbsent(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, DEFAULT_HEARTBEAT_INTERVAL_MS);
    String protocol =
        p.getProperty(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic").toLowerCase(Locale.ROOT);
    if (protocol.equals("classic")) {
      // only moved partitions are revoked: a process joining does not stop every camera
      p.putIfAbsent(
          ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
          CooperativeStickyAssignor.class.getName());
    } else {
      p.remove(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG);
      p.remove(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG);
    }
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "maskstream-ingest-cameras");
    return p;
  }

  private void run() {
    boolean unreachableLogged = false;
    try {
      consumer.subscribe(List.of(topic), new Listener());
      while (!closing) {
        try {
          for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
            apply(r);
          }
          loading.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
          reconcile();
          unreachableLogged = false;
        } catch (WakeupException e) {
          // close() asks to stop
        } catch (KafkaException e) {
          if (!curable(e)) {
            // in one line naming user and cause, as when Kafka refuses the frames
            String reason =
                "Kafka refused ingest: "
                    + KafkaRefusals.describe(e, clientProperties)
                        .orElse("reading " + topic + ": " + e.getMessage());
            LOG.error("{}", reason);
            service.fail(reason);
            return;
          }
          if (!unreachableLogged) {
            LOG.warn("cannot read {} yet ({}); retrying", topic, e.getMessage());
            unreachableLogged = true;
          }
        }
      }
    } catch (RuntimeException e) {
      LOG.error("reading {} failed", topic, e);
      service.fail("reading " + topic + " failed: " + e);
    } finally {
      // stop here before leaving the group, so the next owner starts the cameras after
      if (!started.isEmpty()) {
        LOG.info("leaving group: stopping camera(s) {}", started.keySet());
        stopAll(new ArrayList<>(started.keySet()));
      }
      try {
        consumer.close(Duration.ofSeconds(10));
      } catch (RuntimeException e) {
        LOG.debug("closing the cameras consumer", e);
      }
      serde.close();
      tail.close();
      stopped.countDown();
    }
  }

  private static boolean curable(KafkaException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof org.apache.kafka.common.errors.ApiException
          && !(t instanceof org.apache.kafka.common.errors.RetriableException)) {
        return t instanceof org.apache.kafka.common.errors.RebalanceInProgressException;
      }
    }
    return true;
  }

  private void apply(ConsumerRecord<String, byte[]> r) {
    TopicPartition partition = new TopicPartition(r.topic(), r.partition());
    Map<String, IngestConfig.Camera> cameras = wanted.get(partition);
    if (cameras == null) {
      return;
    }
    if (r.value() == null) {
      if (r.key() != null) {
        cameras.remove(r.key());
        removed.add(r.key());
      }
      return;
    }
    Camera definition;
    IngestConfig.Camera camera;
    try {
      definition = CameraTopic.decode(r, serde);
      camera = CameraDefinitions.toIngest(definition);
    } catch (IllegalArgumentException e) {
      if (reported.add(partition + "@" + r.offset())) {
        LOG.error("{}", CameraUrls.mask(e.getMessage()));
      }
      return;
    }
    removed.remove(r.key());
    if (definition.getEnabled()) {
      cameras.put(r.key(), camera);
    } else {
      cameras.remove(r.key());
    }
  }

  /** Starts, restarts and stops cameras so that those of the read partitions run as defined. */
  private void reconcile() {
    List<String> stop = new ArrayList<>();
    List<String> gone = new ArrayList<>();
    List<IngestConfig.Camera> start = new ArrayList<>();
    for (Map.Entry<String, Started> e : started.entrySet()) {
      Map<String, IngestConfig.Camera> cameras = wanted.get(e.getValue().partition());
      IngestConfig.Camera now = cameras == null ? null : cameras.get(e.getKey());
      if (now == null && removed.contains(e.getKey())) {
        LOG.info("camera {}: removed, stopping it", e.getKey());
        gone.add(e.getKey());
      } else if (now == null) {
        LOG.info("camera {}: disabled, stopping it", e.getKey());
        stop.add(e.getKey());
      } else if (!now.equals(e.getValue().camera())) {
        LOG.info("camera {}: definition changed, restarting it", e.getKey());
        stop.add(e.getKey());
        start.add(now);
      }
    }
    removed.clear();
    stopAll(stop);
    stopAll(gone, true);
    for (Map.Entry<TopicPartition, Map<String, IngestConfig.Camera>> e : wanted.entrySet()) {
      if (loading.containsKey(e.getKey())) {
        continue;
      }
      for (IngestConfig.Camera camera : e.getValue().values()) {
        if (!started.containsKey(camera.id()) && !start.contains(camera)) {
          start.add(camera);
        }
      }
    }
    Map<String, Long> first = firstSequences(start.stream().map(IngestConfig.Camera::id).toList());
    for (IngestConfig.Camera camera : start) {
      TopicPartition partition = partitionOf(camera.id());
      started.put(camera.id(), new Started(partition, camera));
      service.startCamera(camera, first.getOrDefault(camera.id(), 0L));
    }
  }

  /**
   * Where each camera's numbering goes on: after the frames any process sent before. Looked up for
   * all starting cameras at once, so that taking over many cameras reads each partition once.
   */
  private Map<String, Long> firstSequences(List<String> ids) {
    if (ids.isEmpty()) {
      return Map.of();
    }
    try {
      Map<String, Long> next = tail.nextSequences(ids, TAIL_TIMEOUT);
      next.forEach(
          (id, n) -> {
            if (n > 0) {
              LOG.info("camera {}: numbering its frames from {}, after its earlier frames", id, n);
            }
          });
      return next;
    } catch (KafkaException e) {
      LOG.warn(
          "cameras {}: cannot read where their frame numbering stopped ({}); they number from where"
              + " they stopped here, or 0",
          ids,
          e.getMessage());
      return Map.of();
    }
  }

  private TopicPartition partitionOf(String id) {
    for (Map.Entry<TopicPartition, Map<String, IngestConfig.Camera>> e : wanted.entrySet()) {
      if (e.getValue().containsKey(id)) {
        return e.getKey();
      }
    }
    throw new IllegalStateException("camera " + id + " is in no assigned partition");
  }

  private void stopAll(Collection<String> ids) {
    stopAll(ids, false);
  }

  private void stopAll(Collection<String> ids, boolean definitionsRemoved) {
    if (ids.isEmpty()) {
      return;
    }
    service.stopCameras(ids, definitionsRemoved);
    ids.forEach(started::remove);
  }

  private final class Listener implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return;
      }
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      for (TopicPartition p : partitions) {
        wanted.put(p, new LinkedHashMap<>());
        if (end.getOrDefault(p, 0L) > 0) {
          loading.put(p, end.get(p));
        }
      }
      LOG.info("running the cameras of {} partition(s) more: {}", partitions.size(), partitions);
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return;
      }
      let(partitions, "revoked");
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return;
      }
      let(partitions, "lost");
    }

    private void let(Collection<TopicPartition> partitions, String how) {
      List<String> ids = new ArrayList<>();
      started.forEach(
          (id, s) -> {
            if (partitions.contains(s.partition())) {
              ids.add(id);
            }
          });
      stopAll(ids);
      partitions.forEach(
          p -> {
            wanted.remove(p);
            loading.remove(p);
          });
      if (ids.isEmpty()) {
        LOG.info("partition(s) {} {}", partitions, how);
      } else {
        LOG.info("partition(s) {} {}: stopped camera(s) {}", partitions, how, ids);
      }
    }
  }

  /** Stops the cameras this process runs and leaves the group. */
  @Override
  public void close() {
    closing = true;
    consumer.wakeup();
    if (Thread.currentThread() != thread) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
