package io.maskstream.sinks.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Positions of the live view's partitions across rebalances, driven the way Kafka's eager rebalance
 * protocol (the range assignor the sinks use) drives a listener: every partition is revoked and
 * loses its position, then the new assignment arrives.
 */
class StartNearEndTest {
  private static final int BACKLOG = 30;
  private static final TopicPartition P0 = new TopicPartition("maskstream.masks", 0);
  private static final TopicPartition P1 = new TopicPartition("maskstream.masks", 1);
  private static final TopicPartition P2 = new TopicPartition("maskstream.masks", 2);

  private MockConsumer<byte[], byte[]> consumer;
  private StartNearEnd listener;
  private final Map<TopicPartition, Long> ends = new HashMap<>();

  @BeforeEach
  void consumer() {
    consumer = new MockConsumer<>("earliest");
    listener = new StartNearEnd(consumer, BACKLOG);
    Map<TopicPartition, Long> begins = new HashMap<>();
    for (TopicPartition tp : List.of(P0, P1, P2)) {
      begins.put(tp, 0L);
      produceUpTo(tp, 0);
    }
    consumer.updateBeginningOffsets(begins);
  }

  /** Records on {@code tp} now go up to (not including) offset {@code end}. */
  private void produceUpTo(TopicPartition tp, long end) {
    ends.put(tp, end);
    consumer.updateEndOffsets(Map.of(tp, end));
  }

  /** Reads the next {@code n} records of {@code tp}. */
  private void read(TopicPartition tp, int n) {
    long from = consumer.position(tp);
    for (long o = from; o < Math.min(from + n, ends.get(tp)); o++) {
      consumer.addRecord(new ConsumerRecord<>(tp.topic(), tp.partition(), o, null, new byte[0]));
    }
    consumer.poll(Duration.ZERO);
  }

  /** An eager rebalance ending with {@code next} assigned. */
  private void rebalance(List<TopicPartition> next) {
    rebalance(next, () -> {});
  }

  /** An eager rebalance; {@code meanwhile} runs between revocation and assignment. */
  private void rebalance(List<TopicPartition> next, Runnable meanwhile) {
    listener.onPartitionsRevoked(consumer.assignment());
    consumer.assign(List.of());
    consumer.assign(next);
    meanwhile.run();
    listener.onPartitionsAssigned(next);
  }

  @Test
  void aPartitionAssignedForTheFirstTimeStartsABacklogBeforeItsEnd() {
    produceUpTo(P0, 100);
    produceUpTo(P1, 10);
    rebalance(List.of(P0, P1));
    assertThat(consumer.position(P0)).isEqualTo(70);
    assertThat(consumer.position(P1)).as("short partition: from its beginning").isZero();
  }

  @Test
  void aRebalanceKeepsThePositionOfPartitionsAlreadyHeldEvenWhenBehind() {
    produceUpTo(P0, 100);
    rebalance(List.of(P0));
    read(P0, 10);
    assertThat(consumer.position(P0)).isEqualTo(80);
    produceUpTo(P0, 500); // the view is 420 records behind when the group rebalances

    rebalance(List.of(P0, P2));
    assertThat(consumer.position(P0)).as("held before: no record skipped").isEqualTo(80);
    assertThat(consumer.position(P2)).as("new: near its end").isZero();

    read(P0, 5);
    produceUpTo(P2, 200);
    rebalance(List.of(P0, P2));
    assertThat(consumer.position(P0)).isEqualTo(85);
    assertThat(consumer.position(P2)).isZero();
  }

  @Test
  void aPartitionBackFromAnotherMemberGoesOnFromWhereEitherStopped() {
    produceUpTo(P0, 100);
    produceUpTo(P1, 100);
    rebalance(List.of(P0, P1));
    read(P0, 10);
    read(P1, 10);
    produceUpTo(P0, 1000);
    produceUpTo(P1, 1000);

    rebalance(List.of(P0)); // P1 goes to another member, which reads it up to 300
    rebalance(
        List.of(P0, P1),
        () ->
            consumer.commitSync(
                Map.of(P0, new OffsetAndMetadata(75), P1, new OffsetAndMetadata(300))));
    assertThat(consumer.position(P0))
        .as("an older commit does not take the view back")
        .isEqualTo(80);
    assertThat(consumer.position(P1)).as("the other member's commit").isEqualTo(300);
  }

  @Test
  void lostPartitionsGoOnWhereTheyStoppedToo() {
    produceUpTo(P0, 100);
    rebalance(List.of(P0));
    read(P0, 3);
    produceUpTo(P0, 400);
    listener.onPartitionsLost(consumer.assignment());
    consumer.assign(List.of());
    consumer.assign(List.of(P0));
    listener.onPartitionsAssigned(List.of(P0));
    assertThat(consumer.position(P0)).isEqualTo(73);
  }
}
