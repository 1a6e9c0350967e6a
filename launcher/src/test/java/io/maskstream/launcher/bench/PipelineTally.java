package io.maskstream.launcher.bench;

import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.avro.DeadLetter;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.Frame;
import io.maskstream.schemas.avro.FrameRef;
import io.maskstream.schemas.avro.Masks;
import io.maskstream.schemas.avro.ObjectEvent;
import io.maskstream.schemas.avro.ObjectEventType;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * What reached Kafka and what came out of it, as a read_committed consumer sees the frames,
 * detections, masks, objects and dead-letter topics from their beginning: per camera and frame
 * sequence, the frames in, the events out and how often each came, and the dead letters with their
 * reasons.
 *
 * <p>Owns one consumer, polled on a thread of its own from {@link #start()} until {@link #close()};
 * it rides out broker restarts as any client does. The counts are read under its lock.
 */
final class PipelineTally implements AutoCloseable {
  /** One dead letter: who refused which frame (when its bytes still say), and why. */
  record DeadLetterSummary(
      String stage, String sourceTopic, String camera, long sequence, String reason) {}

  /**
   * One camera's counts.
   *
   * @param framesIn distinct frames on the frames topic
   * @param frameDuplicates frame records beyond the first of the same sequence
   * @param framesWithEvents frames with a detections and a masks event
   * @param duplicateEvents detections and masks events beyond the first of the same frame and model
   * @param deadLettered frames refused by the detector onto the dead-letter topic
   * @param lost frames on the frames topic with neither both events nor a dead letter
   * @param detections detections in the events, each frame counted once
   * @param masks instance masks in the events, each frame counted once
   */
  record CameraCounts(
      String camera,
      int framesIn,
      int frameDuplicates,
      int framesWithEvents,
      int duplicateEvents,
      int deadLettered,
      int lost,
      long detections,
      long masks) {}

  private final TopicNames topics;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final AvroSerde<Frame> frameSerde = new AvroSerde<>(Frame.class);
  private final AvroSerde<Detections> detectionSerde = new AvroSerde<>(Detections.class);
  private final AvroSerde<Masks> maskSerde = new AvroSerde<>(Masks.class);
  private final AvroSerde<ObjectEvent> objectSerde = new AvroSerde<>(ObjectEvent.class);
  private final AvroSerde<DeadLetter> deadLetterSerde = new AvroSerde<>(DeadLetter.class);
  private final Thread thread;

  // camera -> sequence -> records
  private final Map<String, Map<Long, Integer>> frames = new TreeMap<>();
  // camera -> "sequence/model version" -> events; and the detections or masks each event held
  private final Map<String, Map<String, Integer>> detectionEvents = new TreeMap<>();
  private final Map<String, Map<String, Integer>> maskEvents = new TreeMap<>();
  private final Map<String, Map<String, Integer>> detectionsPerEvent = new HashMap<>();
  private final Map<String, Map<String, Integer>> masksPerEvent = new HashMap<>();
  private final Map<String, Integer> objectNews = new TreeMap<>(); // "camera#track" -> NEW events
  private final List<DeadLetterSummary> deadLetters = new ArrayList<>();
  private long records;
  private long undecodable;
  private volatile boolean running = true;

  /** A tally of {@code topics} on the Kafka at {@code bootstrap}; reads nothing until started. */
  PipelineTally(String bootstrap, TopicNames topics) {
    this.topics = topics;
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "chaos-soak-tally");
    this.consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    this.thread = new Thread(this::loop, "chaos-soak-tally");
    this.thread.setDaemon(true);
  }

  /** Assigns every partition of the five topics from the beginning and starts reading. */
  void start() {
    List<TopicPartition> partitions = new ArrayList<>();
    for (String topic :
        List.of(
            topics.frames(),
            topics.detections(),
            topics.masks(),
            topics.objects(),
            topics.deadLetters())) {
      consumer
          .partitionsFor(topic, Duration.ofSeconds(60))
          .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    thread.start();
  }

  private void loop() {
    while (running) {
      try {
        var batch = consumer.poll(Duration.ofMillis(500));
        synchronized (this) {
          for (ConsumerRecord<byte[], byte[]> r : batch) {
            records++;
            count(r);
          }
        }
      } catch (WakeupException e) {
        return;
      } catch (RuntimeException e) {
        // a client error while the broker restarts: the next poll goes on from the same positions
        System.err.println("tally: " + e);
      }
    }
  }

  private void count(ConsumerRecord<byte[], byte[]> r) {
    String topic = r.topic();
    try {
      if (topic.equals(topics.frames())) {
        Frame f = frameSerde.deserialize(topic, r.value());
        frames
            .computeIfAbsent(f.getCamera(), c -> new TreeMap<>())
            .merge(f.getSequence(), 1, Integer::sum);
      } else if (topic.equals(topics.detections())) {
        Detections d = detectionSerde.deserialize(topic, r.value());
        String key = eventKey(d.getFrame(), d.getModel().getVersion());
        String camera = d.getFrame().getCamera();
        detectionEvents.computeIfAbsent(camera, c -> new TreeMap<>()).merge(key, 1, Integer::sum);
        detectionsPerEvent
            .computeIfAbsent(camera, c -> new HashMap<>())
            .put(key, d.getDetections().size());
      } else if (topic.equals(topics.masks())) {
        Masks m = maskSerde.deserialize(topic, r.value());
        String key = eventKey(m.getFrame(), m.getModel().getVersion());
        String camera = m.getFrame().getCamera();
        maskEvents.computeIfAbsent(camera, c -> new TreeMap<>()).merge(key, 1, Integer::sum);
        masksPerEvent.computeIfAbsent(camera, c -> new HashMap<>()).put(key, m.getMasks().size());
      } else if (topic.equals(topics.objects())) {
        ObjectEvent o = objectSerde.deserialize(topic, r.value());
        if (o.getType() == ObjectEventType.NEW) {
          objectNews.merge(o.getCamera() + "#" + o.getTrackId(), 1, Integer::sum);
        }
      } else if (topic.equals(topics.deadLetters())) {
        deadLetters.add(summary(deadLetterSerde.deserialize(topic, r.value())));
      }
    } catch (RuntimeException e) {
      undecodable++;
    }
  }

  private DeadLetterSummary summary(DeadLetter d) {
    String camera = "?";
    long sequence = -1;
    ByteBuffer value = d.getValue();
    if (value != null) {
      byte[] bytes = new byte[value.remaining()];
      value.duplicate().get(bytes);
      try {
        FrameRef ref = null;
        if (d.getSourceTopic().equals(topics.frames())) {
          Frame f = frameSerde.deserialize(d.getSourceTopic(), bytes);
          camera = f.getCamera();
          sequence = f.getSequence();
        } else if (d.getSourceTopic().equals(topics.detections())) {
          ref = detectionSerde.deserialize(d.getSourceTopic(), bytes).getFrame();
        } else if (d.getSourceTopic().equals(topics.masks())) {
          ref = maskSerde.deserialize(d.getSourceTopic(), bytes).getFrame();
        }
        if (ref != null) {
          camera = ref.getCamera();
          sequence = ref.getSequence();
        }
      } catch (RuntimeException e) {
        // the record's bytes are what was wrong with it: no frame to name
      }
    }
    return new DeadLetterSummary(d.getStage(), d.getSourceTopic(), camera, sequence, d.getReason());
  }

  static String eventKey(FrameRef frame, String modelVersion) {
    return frame.getSequence() + "/" + modelVersion;
  }

  /** Records read so far (all five topics). */
  synchronized long records() {
    return records;
  }

  /** Records that did not decode as their topic's type. */
  synchronized long undecodable() {
    return undecodable;
  }

  /** Each camera's counts now. */
  synchronized List<CameraCounts> cameras() {
    List<CameraCounts> out = new ArrayList<>();
    Set<String> cameras = new TreeSet<>(frames.keySet());
    cameras.addAll(detectionEvents.keySet());
    for (String camera : cameras) {
      Map<Long, Integer> in = frames.getOrDefault(camera, Map.of());
      Map<String, Integer> dets = detectionEvents.getOrDefault(camera, Map.of());
      Map<String, Integer> msks = maskEvents.getOrDefault(camera, Map.of());
      Set<Long> withDetections = sequences(dets.keySet());
      Set<Long> withMasks = sequences(msks.keySet());
      Set<Long> refused = new HashSet<>();
      for (DeadLetterSummary d : deadLetters) {
        if (d.camera().equals(camera) && d.sourceTopic().equals(topics.frames())) {
          refused.add(d.sequence());
        }
      }
      int withEvents = 0;
      int lost = 0;
      for (Long sequence : in.keySet()) {
        boolean both = withDetections.contains(sequence) && withMasks.contains(sequence);
        if (both) {
          withEvents++;
        } else if (!refused.contains(sequence)) {
          lost++;
        }
      }
      out.add(
          new CameraCounts(
              camera,
              in.size(),
              beyondFirst(in.values()),
              withEvents,
              beyondFirst(dets.values()) + beyondFirst(msks.values()),
              refused.size(),
              lost,
              sum(detectionsPerEvent.getOrDefault(camera, Map.of()).values()),
              sum(masksPerEvent.getOrDefault(camera, Map.of()).values())));
    }
    return out;
  }

  /** Frames on the frames topic still without both events or a dead letter, all cameras. */
  int pending() {
    return cameras().stream().mapToInt(CameraCounts::lost).sum();
  }

  /** Per camera, the {@code sequence/model version} of every detections event. */
  synchronized Map<String, Set<String>> detectionKeys() {
    Map<String, Set<String>> out = new TreeMap<>();
    detectionEvents.forEach((camera, keys) -> out.put(camera, new TreeSet<>(keys.keySet())));
    return out;
  }

  /** Tracks with more than one NEW event, as {@code camera#track}. */
  synchronized List<String> tracksWithSeveralNews() {
    return objectNews.entrySet().stream()
        .filter(e -> e.getValue() > 1)
        .map(Map.Entry::getKey)
        .toList();
  }

  /** Tracks with a NEW event. */
  synchronized int tracks() {
    return objectNews.size();
  }

  /** The dead letters so far. */
  synchronized List<DeadLetterSummary> deadLetters() {
    return List.copyOf(deadLetters);
  }

  private static Set<Long> sequences(Set<String> eventKeys) {
    Set<Long> out = new HashSet<>();
    for (String key : eventKeys) {
      out.add(Long.parseLong(key.substring(0, key.indexOf('/'))));
    }
    return out;
  }

  private static int beyondFirst(java.util.Collection<Integer> counts) {
    return counts.stream().mapToInt(c -> c - 1).sum();
  }

  private static long sum(java.util.Collection<Integer> counts) {
    return counts.stream().mapToLong(Integer::longValue).sum();
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    consumer.wakeup();
    thread.join(10_000);
    consumer.close(Duration.ofSeconds(5));
  }
}
