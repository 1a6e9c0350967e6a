package io.maskstream.sinks.web;

import io.maskstream.schemas.AvroSerde;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows compacted topics keyed by camera id whole, through one consumer outside any group: every
 * partition from its beginning, then every change as it comes, so what is stored before the page
 * opens and what changes while it is open both show up on it (zones, camera definitions, camera
 * status).
 *
 * <p>A record's key is its camera id; its value the topic's Avro record, or none (a tombstone) when
 * the camera's entry was removed. A record that cannot be decoded is skipped - the camera keeps its
 * previous value - and logged once per partition. A topic that does not exist (an older cluster, or
 * one the sink may not create topics on) or that this client may not read is logged once and looked
 * up again every {@value #RETRY_MS} ms; the other topics are followed meanwhile.
 *
 * <p>Never waits for the broker longer than one lookup: it is polled on the consumer thread of the
 * web sink between the polls of the event topics. Not thread-safe.
 */
final class CompactedFollower {
  private static final Logger LOG = LoggerFactory.getLogger(CompactedFollower.class);
  static final long RETRY_MS = 5000;

  /** A topic whose end is not known this long after it was found counts as read anyway. */
  static final long CATCH_UP_MS = 10_000;

  private static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(1);

  /**
   * What a change of one camera's entry goes to.
   *
   * @param <V> the topic's record type
   */
  @FunctionalInterface
  interface Change<V> {
    /**
     * Takes {@code camera}'s new {@code value}, null when removed; {@code timestamp} is the
     * record's (when it was written, in ms).
     */
    void accept(String camera, V value, long timestamp);
  }

  /** One followed topic: how to decode its values, where they go, whether it was found. */
  private static final class Followed<V extends SpecificRecord> {
    final String topic;
    final String what;
    final String absent;
    final AvroSerde<V> serde;
    final Change<V> to;
    List<TopicPartition> partitions = List.of();
    boolean assigned;
    boolean missingLogged;
    long assignedAt;
    boolean caughtUp;

    Followed(String topic, String what, String absent, AvroSerde<V> serde, Change<V> to) {
      this.topic = topic;
      this.what = what;
      this.absent = absent;
      this.serde = serde;
      this.to = to;
    }

    void hand(String camera, byte[] value, long timestamp) {
      to.accept(camera, value == null ? null : serde.deserialize(topic, value), timestamp);
    }
  }

  private final org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer;
  private final Map<String, ?> clientProperties;
  private final Consumer<String> read;
  private final Map<String, Followed<?>> topics = new LinkedHashMap<>();
  private final Set<TopicPartition> assignment = new HashSet<>();
  private final Set<TopicPartition> warned = new HashSet<>();
  private long nextLookup = Long.MIN_VALUE;
  private long nextPollWarning = Long.MIN_VALUE;

  /**
   * A follower reading through {@code consumer} (not in a group, not shared), decoding as {@code
   * clientProperties} say (registry or single-object encoding), telling {@code read} the topic of
   * every record it reads.
   */
  CompactedFollower(
      org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer,
      Map<String, ?> clientProperties,
      Consumer<String> read) {
    this.consumer = consumer;
    this.clientProperties = clientProperties;
    this.read = read;
  }

  /**
   * Follows {@code topic} too, handing its changes to {@code to}.
   *
   * @param what what the topic holds, for the log ("zones", "camera definitions")
   * @param absent what the page goes without while the topic does not exist, for the log
   * @return this follower
   */
  <V extends SpecificRecord> CompactedFollower follow(
      String topic, Class<V> type, String what, String absent, Change<V> to) {
    topics.put(
        topic,
        new Followed<>(topic, what, absent, new AvroSerde<>(type, clientProperties, false), to));
    return this;
  }

  /**
   * Whether {@code topic} is followed, was found, and was read up to its end once (or {@value
   * #CATCH_UP_MS} ms have passed since it was found without its end being known): from then on,
   * what its changes built stands for the whole topic, not only its beginning.
   */
  boolean caughtUp(String topic) {
    Followed<?> f = topics.get(topic);
    return f != null && f.caughtUp;
  }

  /**
   * Hands each record that came since the last call, without waiting for more, to its topic's
   * {@link Change}; looks up the topics not found yet when it is time to.
   *
   * @return the number of records read
   */
  int poll(long nowMillis) {
    if (nowMillis >= nextLookup && topics.values().stream().anyMatch(f -> !f.assigned)) {
      assign(nowMillis);
    }
    if (assignment.isEmpty()) {
      return 0;
    }
    Iterable<ConsumerRecord<byte[], byte[]>> records;
    try {
      records = consumer.poll(Duration.ZERO);
    } catch (TopicAuthorizationException e) {
      refused(e.unauthorizedTopics(), e.getMessage());
      return 0;
    } catch (KafkaException e) {
      if (nowMillis >= nextPollWarning) {
        LOG.warn("could not read {} ({}); retrying", topics.keySet(), e.getMessage());
        nextPollWarning = nowMillis + RETRY_MS;
      }
      return 0;
    }
    int n = 0;
    for (ConsumerRecord<byte[], byte[]> record : records) {
      n++;
      read.accept(record.topic());
      Followed<?> followed = topics.get(record.topic());
      if (followed == null) {
        continue; // not asked for
      }
      if (record.key() == null) {
        skip(followed, record, "no key (camera id)");
        continue;
      }
      String camera = new String(record.key(), StandardCharsets.UTF_8);
      try {
        followed.hand(camera, record.value(), record.timestamp());
      } catch (KafkaException | AvroRuntimeException e) {
        skip(followed, record, e.getMessage());
      }
    }
    for (Followed<?> f : topics.values()) {
      if (f.assigned && !f.caughtUp) {
        f.caughtUp = nowMillis - f.assignedAt >= CATCH_UP_MS || atEnd(f.partitions);
      }
    }
    return n;
  }

  /** Whether every one of {@code partitions} is known to be read to its end (without waiting). */
  private boolean atEnd(List<TopicPartition> partitions) {
    for (TopicPartition tp : partitions) {
      OptionalLong lag = consumer.currentLag(tp);
      if (lag.isEmpty() || lag.getAsLong() > 0) {
        return false;
      }
    }
    return true;
  }

  /** Assigns the partitions of the topics that exist now, the new ones from their beginning. */
  private void assign(long nowMillis) {
    nextLookup = nowMillis + RETRY_MS;
    List<TopicPartition> found = new ArrayList<>();
    for (Followed<?> f : topics.values()) {
      if (f.assigned) {
        continue;
      }
      List<PartitionInfo> partitions;
      try {
        partitions = consumer.partitionsFor(f.topic, LOOKUP_TIMEOUT);
      } catch (TopicAuthorizationException e) {
        refused(Set.of(f.topic), e.getMessage());
        continue;
      } catch (KafkaException e) {
        LOG.debug("could not look up {} ({})", f.topic, e.getMessage());
        break; // the broker does not answer: the others would wait as long, try them next time
      }
      if (partitions == null || partitions.isEmpty()) {
        if (!f.missingLogged) {
          LOG.warn(
              "{} topic {} not found: {} until it exists (looking again every {} s)",
              f.what,
              f.topic,
              f.absent,
              RETRY_MS / 1000);
          f.missingLogged = true;
        }
        continue;
      }
      f.partitions =
          partitions.stream().map(p -> new TopicPartition(f.topic, p.partition())).toList();
      found.addAll(f.partitions);
      f.assigned = true;
      f.assignedAt = nowMillis;
      LOG.info(
          "following the {} of {} from its beginning ({} partition{})",
          f.what,
          f.topic,
          partitions.size(),
          partitions.size() == 1 ? "" : "s");
    }
    if (found.isEmpty()) {
      return;
    }
    assignment.addAll(found);
    consumer.assign(List.copyOf(assignment)); // partitions followed already keep their position
    consumer.seekToBeginning(found);
  }

  /**
   * Stops reading {@code refused} topics that this client may not read (their ACLs lack it) so the
   * others go on; they are looked up again like missing ones.
   */
  private void refused(Set<String> refused, String reason) {
    for (String topic : refused) {
      Followed<?> f = topics.get(topic);
      if (f == null) {
        continue;
      }
      if (!f.missingLogged) {
        LOG.warn(
            "may not read the {} topic {} ({}): {} until this client may (looking again every {}"
                + " s)",
            f.what,
            f.topic,
            reason,
            f.absent,
            RETRY_MS / 1000);
        f.missingLogged = true;
      }
      if (f.assigned) {
        f.assigned = false;
        f.caughtUp = false;
        assignment.removeAll(f.partitions);
        consumer.assign(List.copyOf(assignment));
      }
    }
  }

  private void skip(Followed<?> followed, ConsumerRecord<byte[], byte[]> record, String reason) {
    TopicPartition tp = new TopicPartition(record.topic(), record.partition());
    if (warned.add(tp)) {
      LOG.warn(
          "skipping a record of {} ({}) that cannot be used at offset {} of partition {} ({});"
              + " further ones of this partition are skipped unlogged",
          followed.topic,
          followed.what,
          record.offset(),
          record.partition(),
          reason);
    }
  }
}
