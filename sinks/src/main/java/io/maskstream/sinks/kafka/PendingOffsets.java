package io.maskstream.sinks.kafka;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Which offsets a sink may commit when records finish out of order: per partition, the lowest
 * offset still in flight, or the next one to read when nothing is.
 *
 * <p>A record is {@link #track tracked} when polled and {@link #done done} once its effect is
 * durable (written, or sent to the dead-letter topic). Confined to the consumer thread.
 */
public final class PendingOffsets {
  private final Map<TopicPartition, TreeSet<Long>> inFlight = new HashMap<>();
  private final Map<TopicPartition, Long> next = new HashMap<>();
  private final Map<TopicPartition, Long> committed = new HashMap<>();

  /** Records that {@code offset} of {@code partition} was read and is not durable yet. */
  public void track(TopicPartition partition, long offset) {
    inFlight.computeIfAbsent(partition, p -> new TreeSet<>()).add(offset);
    next.merge(partition, offset + 1, Math::max);
  }

  /** Records that {@code offset} of {@code partition} is durable. */
  public void done(TopicPartition partition, long offset) {
    TreeSet<Long> offsets = inFlight.get(partition);
    if (offsets != null) {
      offsets.remove(offset);
    }
  }

  /** Number of records in flight. */
  public int inFlight() {
    int n = 0;
    for (TreeSet<Long> offsets : inFlight.values()) {
      n += offsets.size();
    }
    return n;
  }

  /**
   * The offsets that moved since the last call and may be committed now; the caller commits them
   * (after making every done record durable) and they count as committed from here on.
   */
  public Map<TopicPartition, OffsetAndMetadata> committable() {
    Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
    for (Map.Entry<TopicPartition, Long> entry : next.entrySet()) {
      TopicPartition partition = entry.getKey();
      TreeSet<Long> offsets = inFlight.get(partition);
      long safe = offsets == null || offsets.isEmpty() ? entry.getValue() : offsets.first();
      Long previous = committed.get(partition);
      if (previous == null || safe > previous) {
        out.put(partition, new OffsetAndMetadata(safe));
      }
    }
    return out;
  }

  /** Notes that {@code offsets} were committed. */
  public void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
    offsets.forEach((p, o) -> committed.put(p, o.offset()));
  }

  /** The lowest offset of {@code partition} not yet durable, or -1 when unknown. */
  public long safeOffset(TopicPartition partition) {
    TreeSet<Long> offsets = inFlight.get(partition);
    if (offsets != null && !offsets.isEmpty()) {
      return offsets.first();
    }
    return next.getOrDefault(partition, -1L);
  }

  /** Forgets {@code partitions} (revoked, or to be re-read from their safe offset). */
  public void forget(Collection<TopicPartition> partitions) {
    for (TopicPartition partition : partitions) {
      inFlight.remove(partition);
      next.remove(partition);
      committed.remove(partition);
    }
  }
}
