package io.maskstream.ingest.publish;

import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.CompactedTopic;
import io.maskstream.schemas.avro.CameraRunState;
import io.maskstream.schemas.avro.CameraStatus;
import io.maskstream.schemas.avro.Frame;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Utils;

/**
 * Where a camera's frame numbering goes on when it starts on this process: after the last frame its
 * previous owner sent, so a camera that moves between ingest processes never numbers a frame lower
 * than one already in the frames topic.
 *
 * <p>The previous owner's newest report in the camera status topic says where it was: a process
 * that stopped the camera (moved, disabled, shut down) reported its last sequence after Kafka had
 * acknowledged its last frame, so numbering goes on from there. A process that died reported at
 * most one report interval before its last frame: the camera's frames written since that report (by
 * record time, at most {@value #MAX_RECORDS} records of its partition) are read for a higher
 * sequence. Without any report the camera is new and starts at 0. Only the camera's own records are
 * decoded. Owns one consumer without a group; not thread-safe.
 */
public final class FrameTail implements AutoCloseable {
  /** Records of a frames partition read at most after a dead owner's last report. */
  static final int MAX_RECORDS = 4096;

  /** How far before a dead owner's last report its frames are looked for (clock skew, latency). */
  static final Duration MARGIN = Duration.ofSeconds(2);

  private static final Duration POLL = Duration.ofMillis(200);

  private final KafkaConsumer<String, byte[]> consumer;
  private final AvroSerde<Frame> frames;
  private final AvroSerde<CameraStatus> statuses;
  private final String framesTopic;
  private final String statusTopic;

  /** A reader of {@code framesTopic} and {@code statusTopic} with the client {@code properties}. */
  public FrameTail(Properties properties, String framesTopic, String statusTopic) {
    Properties p = CompactedTopic.withoutGroup(properties, "read_uncommitted");
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "maskstream-ingest-frame-tail");
    // reads end at the end offsets: a fetch there must not wait for records that never come
    p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20);
    this.consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    Map<String, Object> config = new HashMap<>();
    properties.forEach((k, v) -> config.put(k.toString(), v));
    this.frames = new AvroSerde<>(Frame.class);
    frames.configure(config, false);
    this.statuses = new AvroSerde<>(CameraStatus.class);
    statuses.configure(config, false);
    this.framesTopic = framesTopic;
    this.statusTopic = statusTopic;
  }

  /** The partition Kafka's default partitioner gives a record keyed {@code camera}. */
  static int partitionOf(String camera, int partitions) {
    return Utils.toPositive(Utils.murmur2(camera.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  /**
   * The sequence number {@code camera}'s next frame gets: one more than the last one any process
   * sent, as far as the status topic and the frames topic tell.
   *
   * @throws KafkaException when Kafka does not answer within {@code timeout}
   */
  public long nextSequence(String camera, Duration timeout) {
    return nextSequences(List.of(camera), timeout).get(camera);
  }

  /**
   * {@link #nextSequence} of several cameras at once, as when a process takes over the cameras of a
   * process that died: each status partition and each frames partition is read once for all of
   * them, not once per camera.
   *
   * @return every camera of {@code cameras}, with the sequence its next frame gets
   * @throws KafkaException when Kafka does not answer within {@code timeout}
   */
  public Map<String, Long> nextSequences(Collection<String> cameras, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<String, Long> next = new HashMap<>();
    Map<String, Long> since = new HashMap<>(); // cameras whose owner may have died: report time
    Map<String, CameraStatus> reports = newestReports(Set.copyOf(cameras), deadline, timeout);
    for (String camera : cameras) {
      CameraStatus status = reports.get(camera);
      if (status == null) {
        next.put(camera, 0L);
        continue;
      }
      next.put(camera, status.getLastSequence() == null ? 0 : status.getLastSequence() + 1);
      if (status.getState() != CameraRunState.STOPPED) {
        since.put(camera, status.getReportedAt().minus(MARGIN).toEpochMilli());
      }
    }
    if (!since.isEmpty()) {
      highestSince(since, deadline, timeout)
          .forEach((camera, highest) -> next.merge(camera, highest + 1, Math::max));
    }
    return next;
  }

  /** The partitions of {@code topic} that records keyed by {@code cameras} go to, by camera. */
  private Map<String, TopicPartition> partitions(
      String topic, Collection<String> cameras, Duration timeout) {
    List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
    Map<String, TopicPartition> out = new HashMap<>();
    if (infos == null || infos.isEmpty()) {
      return out;
    }
    for (String camera : cameras) {
      out.put(camera, new TopicPartition(topic, partitionOf(camera, infos.size())));
    }
    return out;
  }

  /** Reads {@code partitions} from {@code from} to their end offsets as they were at the start. */
  private void readToEnd(
      Map<TopicPartition, Long> from,
      String topic,
      long deadline,
      Duration timeout,
      java.util.function.Consumer<ConsumerRecord<String, byte[]>> each) {
    if (from.isEmpty()) {
      return;
    }
    consumer.assign(from.keySet());
    Map<TopicPartition, Long> end = consumer.endOffsets(from.keySet(), timeout);
    Set<TopicPartition> open = new HashSet<>();
    for (Map.Entry<TopicPartition, Long> e : from.entrySet()) {
      long start = Math.max(e.getValue(), 0);
      if (start < end.get(e.getKey())) {
        consumer.seek(e.getKey(), start);
        open.add(e.getKey());
      }
    }
    Set<TopicPartition> empty = new HashSet<>(from.keySet());
    empty.removeAll(open);
    consumer.pause(empty);
    while (!open.isEmpty()) {
      checkDeadline(deadline, topic, timeout);
      for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
        TopicPartition partition = new TopicPartition(r.topic(), r.partition());
        if (r.offset() < end.get(partition)) {
          each.accept(r);
        }
      }
      open.removeIf(
          partition -> {
            boolean done = consumer.position(partition, timeout) >= end.get(partition);
            if (done) {
              consumer.pause(List.of(partition));
            }
            return done;
          });
    }
    consumer.resume(consumer.paused());
  }

  /** The newest report of each camera that has one (none: no report, or no status topic). */
  private Map<String, CameraStatus> newestReports(
      Set<String> cameras, long deadline, Duration timeout) {
    Map<TopicPartition, Long> from = new HashMap<>();
    for (TopicPartition partition : partitions(statusTopic, cameras, timeout).values()) {
      from.put(partition, 0L);
    }
    Map<String, byte[]> newest = new HashMap<>();
    readToEnd(
        from,
        statusTopic,
        deadline,
        timeout,
        r -> {
          if (r.key() != null && cameras.contains(r.key())) {
            newest.put(r.key(), r.value()); // a tombstone (removed camera) forgets the reports
          }
        });
    Map<String, CameraStatus> reports = new HashMap<>();
    newest.forEach(
        (camera, value) -> {
          if (value == null) {
            return;
          }
          try {
            reports.put(camera, statuses.deserialize(statusTopic, value));
          } catch (RuntimeException e) {
            // not a report: as if there were none
          }
        });
    return reports;
  }

  /**
   * The highest sequence of each camera's frames among the frames written since its time in {@code
   * sinceMillis} (at most {@value #MAX_RECORDS} records before the partition's end).
   */
  private Map<String, Long> highestSince(
      Map<String, Long> sinceMillis, long deadline, Duration timeout) {
    Map<String, TopicPartition> partitionOf =
        partitions(framesTopic, sinceMillis.keySet(), timeout);
    if (partitionOf.isEmpty()) {
      return Map.of();
    }
    Map<TopicPartition, Long> earliest = new HashMap<>();
    partitionOf.forEach(
        (camera, partition) ->
            earliest.merge(partition, Math.max(0, sinceMillis.get(camera)), Math::min));
    Map<TopicPartition, Long> end = consumer.endOffsets(earliest.keySet(), timeout);
    Map<TopicPartition, OffsetAndTimestamp> at = consumer.offsetsForTimes(earliest, timeout);
    Map<TopicPartition, Long> from = new HashMap<>();
    for (TopicPartition partition : earliest.keySet()) {
      OffsetAndTimestamp found = at.get(partition);
      long offset = found == null ? end.get(partition) : found.offset();
      from.put(partition, Math.max(offset, end.get(partition) - MAX_RECORDS));
    }
    Map<String, Long> highest = new HashMap<>();
    readToEnd(
        from,
        framesTopic,
        deadline,
        timeout,
        r -> {
          String camera = r.key();
          if (camera == null || r.value() == null || !partitionOf.containsKey(camera)) {
            return;
          }
          if (r.timestamp() < sinceMillis.get(camera)) {
            return; // before this camera's own window (the partition is read from the earliest)
          }
          try {
            long sequence = frames.deserialize(framesTopic, r.value()).getSequence();
            highest.merge(camera, sequence, Math::max);
          } catch (RuntimeException e) {
            // not a frame (the detector sends such records to its dead-letter topic): not ours
          }
        });
    return highest;
  }

  private static void checkDeadline(long deadline, String topic, Duration timeout) {
    if (System.nanoTime() > deadline) {
      throw new KafkaException(
          "Kafka did not give the newest records of "
              + topic
              + " within "
              + timeout.toSeconds()
              + " s");
    }
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
    frames.close();
    statuses.close();
  }
}
