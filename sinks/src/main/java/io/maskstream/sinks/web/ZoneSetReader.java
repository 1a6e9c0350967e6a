package io.maskstream.sinks.web;

import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.avro.ZoneSet;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import org.apache.avro.AvroRuntimeException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the compacted zones topic whole: every partition from its beginning, outside any group,
 * then every change as it comes, so zones set while the page is open show up on it.
 *
 * <p>A record's key is its camera id; its value the camera's {@link ZoneSet}, or none (a tombstone)
 * when its zones were removed. A record that cannot be decoded is skipped - the camera keeps its
 * previous zones - and logged once per partition. Until the topic exists, its partitions are looked
 * up again every {@value #RETRY_MS} ms.
 *
 * <p>Never waits for the broker longer than a lookup: it is polled on the consumer thread of the
 * web sink between the polls of the event topics. Not thread-safe.
 */
final class ZoneSetReader {
  private static final Logger LOG = LoggerFactory.getLogger(ZoneSetReader.class);
  static final long RETRY_MS = 5000;
  private static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(1);

  private final Consumer<byte[], byte[]> consumer;
  private final String topic;
  private final AvroSerde<ZoneSet> serde;
  private final Set<TopicPartition> warned = new HashSet<>();
  private boolean assigned;
  private boolean missingLogged;
  private long nextLookup = Long.MIN_VALUE;

  /**
   * A reader of {@code topic} through {@code consumer} (not in a group, not shared), decoding as
   * {@code clientProperties} say (registry or single-object encoding).
   */
  ZoneSetReader(Consumer<byte[], byte[]> consumer, String topic, Map<String, ?> clientProperties) {
    this.consumer = consumer;
    this.topic = topic;
    this.serde = new AvroSerde<>(ZoneSet.class, clientProperties, false);
  }

  /**
   * Hands each record that came since the last call, without waiting for more, to {@code to}: the
   * camera and its zone set, null when removed.
   *
   * @return the number of records read
   */
  int poll(long nowMillis, BiConsumer<String, ZoneSet> to) {
    if (!assigned && !assign(nowMillis)) {
      return 0;
    }
    Iterable<ConsumerRecord<byte[], byte[]>> records;
    try {
      records = consumer.poll(Duration.ZERO);
    } catch (KafkaException e) {
      if (nowMillis >= nextLookup) {
        LOG.warn("could not read the zones topic {} ({}); retrying", topic, e.getMessage());
        nextLookup = nowMillis + RETRY_MS;
      }
      return 0;
    }
    int n = 0;
    for (ConsumerRecord<byte[], byte[]> record : records) {
      n++;
      if (record.key() == null) {
        skip(record, "no key (camera id)");
        continue;
      }
      String camera = new String(record.key(), StandardCharsets.UTF_8);
      if (record.value() == null) {
        to.accept(camera, null);
        continue;
      }
      ZoneSet set;
      try {
        set = serde.deserialize(record.topic(), record.value());
      } catch (KafkaException | AvroRuntimeException e) {
        skip(record, e.getMessage());
        continue;
      }
      to.accept(camera, set);
    }
    return n;
  }

  private boolean assign(long nowMillis) {
    if (nowMillis < nextLookup) {
      return false;
    }
    nextLookup = nowMillis + RETRY_MS;
    List<PartitionInfo> partitions;
    try {
      partitions = consumer.partitionsFor(topic, LOOKUP_TIMEOUT);
    } catch (KafkaException e) {
      partitions = null;
    }
    if (partitions == null || partitions.isEmpty()) {
      if (!missingLogged) {
        LOG.warn("zones topic {} not found yet: no zones on the page until it exists", topic);
        missingLogged = true;
      }
      return false;
    }
    List<TopicPartition> all =
        partitions.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
    consumer.assign(all);
    consumer.seekToBeginning(all);
    assigned = true;
    LOG.info("following the zones of {} from its beginning", all);
    return true;
  }

  private void skip(ConsumerRecord<byte[], byte[]> record, String reason) {
    TopicPartition tp = new TopicPartition(record.topic(), record.partition());
    if (warned.add(tp)) {
      LOG.warn(
          "skipping a zone set that cannot be used at {} offset {} ({}); further ones of this"
              + " partition are skipped unlogged",
          tp,
          record.offset(),
          reason);
    }
  }
}
