package io.maskstream.sinks.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class PendingOffsetsTest {
  static final TopicPartition P0 = new TopicPartition("t", 0);
  static final TopicPartition P1 = new TopicPartition("t", 1);

  @Test
  void commitsUpToTheLowestOffsetStillInFlight() {
    PendingOffsets offsets = new PendingOffsets();
    for (long o = 10; o < 15; o++) {
      offsets.track(P0, o);
    }
    offsets.track(P1, 3);
    offsets.done(P0, 10);
    offsets.done(P0, 12); // out of order: 11 still in flight
    offsets.done(P1, 3);
    var c = offsets.committable();
    assertThat(c.get(P0).offset()).isEqualTo(11);
    assertThat(c.get(P1).offset()).isEqualTo(4);
    offsets.committed(c);
    assertThat(offsets.committable()).isEmpty();
    offsets.done(P0, 11);
    offsets.done(P0, 13);
    offsets.done(P0, 14);
    assertThat(offsets.committable().get(P0).offset()).isEqualTo(15);
    assertThat(offsets.inFlight()).isZero();
  }

  @Test
  void forgetsRevokedPartitions() {
    PendingOffsets offsets = new PendingOffsets();
    offsets.track(P0, 1);
    offsets.forget(List.of(P0));
    assertThat(offsets.committable()).isEmpty();
    assertThat(offsets.safeOffset(P0)).isEqualTo(-1);
  }
}
