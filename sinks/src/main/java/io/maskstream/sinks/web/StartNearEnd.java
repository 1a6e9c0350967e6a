package io.maskstream.sinks.web;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the live view reads each partition from.
 *
 * <p>A partition assigned for the first time in this process starts {@code backlog} records before
 * its end: the page shows now, not then. A partition this process held before (a rebalance revoked
 * it and gave it back, or it went to another member and came back) goes on from where this process
 * stopped reading it, or from the group's committed offset when that is further (another member
 * read on meanwhile): a rebalance skips no record.
 *
 * <p>Used on the consumer's thread only, as the listener of its subscription.
 */
final class StartNearEnd implements ConsumerRebalanceListener {
  private static final Logger LOG = LoggerFactory.getLogger(StartNearEnd.class);

  private final Consumer<?, ?> consumer;
  private final int backlog;
  private final Set<TopicPartition> held = new HashSet<>();
  private final Map<TopicPartition, Long> stoppedAt = new HashMap<>();

  /** Positions {@code consumer}'s partitions, new ones {@code backlog} records before the end. */
  StartNearEnd(Consumer<?, ?> consumer, int backlog) {
    this.consumer = consumer;
    this.backlog = backlog;
  }

  @Override
  public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
    remember(partitions);
  }

  @Override
  public void onPartitionsLost(Collection<TopicPartition> partitions) {
    remember(partitions);
  }

  @Override
  public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
    List<TopicPartition> fresh = partitions.stream().filter(tp -> !held.contains(tp)).toList();
    List<TopicPartition> known = partitions.stream().filter(held::contains).toList();
    if (!fresh.isEmpty()) {
      Map<TopicPartition, Long> ends = consumer.endOffsets(fresh);
      Map<TopicPartition, Long> begins = consumer.beginningOffsets(fresh);
      for (TopicPartition tp : fresh) {
        long start =
            Math.max(begins.getOrDefault(tp, 0L), ends.getOrDefault(tp, 0L) - (long) backlog);
        consumer.seek(tp, start);
      }
      LOG.info("showing {} from near their ends", fresh);
    }
    if (!known.isEmpty()) {
      Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new HashSet<>(known));
      for (TopicPartition tp : known) {
        OffsetAndMetadata c = committed.get(tp);
        long next = Math.max(c == null ? -1 : c.offset(), stoppedAt.getOrDefault(tp, -1L));
        if (next >= 0) {
          consumer.seek(tp, next);
        }
      }
      LOG.info("going on with {} where reading stopped", known);
    }
    held.addAll(partitions);
    partitions.forEach(stoppedAt::remove);
  }

  /** Notes the next offset of each partition about to go, to go on from there if it comes back. */
  private void remember(Collection<TopicPartition> partitions) {
    for (TopicPartition tp : partitions) {
      try {
        stoppedAt.put(tp, consumer.position(tp, Duration.ZERO));
      } catch (KafkaException | IllegalStateException e) {
        // no position yet: the group's committed offset decides when it comes back
      }
    }
  }
}
