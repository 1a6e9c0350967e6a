package io.maskstream.ingest.publish;

import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.CompactedTopic;
import io.maskstream.schemas.avro.CameraRunState;
import io.maskstream.schemas.avro.CameraStatus;
import io.maskstream.schemas.avro.Frame;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
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
    long deadline = System.nanoTime() + timeout.toNanos();
    CameraStatus status = newestReport(camera, deadline, timeout);
    if (status == null) {
      return 0;
    }
    long next = status.getLastSequence() == null ? 0 : status.getLastSequence() + 1;
    if (status.getState() == CameraRunState.STOPPED) {
      return next;
    }
    long since = status.getReportedAt().minus(MARGIN).toEpochMilli();
    OptionalLong later = highestSince(camera, since, deadline, timeout);
    return later.isPresent() ? Math.max(next, later.getAsLong() + 1) : next;
  }

  private TopicPartition partition(String topic, String camera, Duration timeout) {
    List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
    if (infos == null || infos.isEmpty()) {
      return null;
    }
    return new TopicPartition(topic, partitionOf(camera, infos.size()));
  }

  /** The newest report of {@code camera}, or {@code null} (none, or no status topic). */
  private CameraStatus newestReport(String camera, long deadline, Duration timeout) {
    TopicPartition partition = partition(statusTopic, camera, timeout);
    if (partition == null) {
      return null;
    }
    List<TopicPartition> one = List.of(partition);
    consumer.assign(one);
    consumer.seekToBeginning(one);
    long end = consumer.endOffsets(one, timeout).get(partition);
    byte[] newest = null;
    while (consumer.position(partition, timeout) < end) {
      checkDeadline(deadline, statusTopic, timeout);
      for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
        if (r.offset() < end && camera.equals(r.key())) {
          newest = r.value();
        }
      }
    }
    if (newest == null) {
      return null;
    }
    try {
      return statuses.deserialize(statusTopic, newest);
    } catch (RuntimeException e) {
      return null; // not a report: as if there were none
    }
  }

  /** The highest sequence of {@code camera}'s frames stamped at or after {@code sinceMillis}. */
  private OptionalLong highestSince(
      String camera, long sinceMillis, long deadline, Duration timeout) {
    TopicPartition partition = partition(framesTopic, camera, timeout);
    if (partition == null) {
      return OptionalLong.empty();
    }
    List<TopicPartition> one = List.of(partition);
    consumer.assign(one);
    long end = consumer.endOffsets(one, timeout).get(partition);
    OffsetAndTimestamp at =
        consumer
            .offsetsForTimes(Map.of(partition, Math.max(0, sinceMillis)), timeout)
            .get(partition);
    long from = at == null ? end : at.offset();
    from = Math.max(from, end - MAX_RECORDS);
    if (from >= end) {
      return OptionalLong.empty();
    }
    consumer.seek(partition, from);
    long highest = Long.MIN_VALUE;
    while (consumer.position(partition, timeout) < end) {
      checkDeadline(deadline, framesTopic, timeout);
      for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
        if (r.offset() >= end || !camera.equals(r.key()) || r.value() == null) {
          continue;
        }
        try {
          highest = Math.max(highest, frames.deserialize(framesTopic, r.value()).getSequence());
        } catch (RuntimeException e) {
          // not a frame (the detector sends such records to its dead-letter topic): not ours
        }
      }
    }
    return highest == Long.MIN_VALUE ? OptionalLong.empty() : OptionalLong.of(highest);
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
