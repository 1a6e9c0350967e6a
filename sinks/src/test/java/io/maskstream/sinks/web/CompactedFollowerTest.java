package io.maskstream.sinks.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.avro.Camera;
import io.maskstream.schemas.avro.ZoneSet;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

class CompactedFollowerTest {
  private static final String ZONES = "maskstream.zones";
  private static final String CAMERAS = "maskstream.cameras";
  private static final TopicPartition ZP = new TopicPartition(ZONES, 0);
  private static final TopicPartition CP0 = new TopicPartition(CAMERAS, 0);
  private static final TopicPartition CP1 = new TopicPartition(CAMERAS, 1);

  private record Change(String camera, Object value, long timestamp) {}

  private static ConsumerRecord<byte[], byte[]> record(
      TopicPartition tp, long offset, String key, byte[] value) {
    return new ConsumerRecord<>(
        tp.topic(),
        tp.partition(),
        offset,
        1000 + offset,
        TimestampType.CREATE_TIME,
        -1,
        -1,
        key == null ? null : key.getBytes(StandardCharsets.UTF_8),
        value,
        new org.apache.kafka.common.header.internals.RecordHeaders(),
        java.util.Optional.empty());
  }

  private static void create(MockConsumer<byte[], byte[]> consumer, String topic, int partitions) {
    List<PartitionInfo> infos = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      infos.add(new PartitionInfo(topic, p, Node.noNode(), new Node[0], new Node[0]));
      consumer.updateBeginningOffsets(Map.of(new TopicPartition(topic, p), 0L));
    }
    consumer.updatePartitions(topic, infos);
  }

  @Test
  void readsEachTopicWholeFollowsThoseThatExistAndSkipsWhatItCannotDecode() {
    MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
    List<String> read = new ArrayList<>();
    List<Change> zones = new ArrayList<>();
    List<Change> cameras = new ArrayList<>();
    CompactedFollower follower =
        new CompactedFollower(consumer, Map.of(), read::add)
            .follow(
                ZONES,
                ZoneSet.class,
                "zones",
                "no zones",
                (c, v, t) -> zones.add(new Change(c, v, t)))
            .follow(
                CAMERAS,
                Camera.class,
                "camera definitions",
                "no cameras panel",
                (c, v, t) -> cameras.add(new Change(c, v, t)));

    // no topic yet: looked up again after a while, nothing read meanwhile
    assertThat(follower.poll(0)).isZero();
    create(consumer, ZONES, 1);
    assertThat(follower.poll(1)).isZero();
    assertThat(consumer.assignment()).isEmpty();

    // the zones topic came, the cameras topic not (an older cluster): the zones are followed
    follower.poll(CompactedFollower.RETRY_MS);
    assertThat(consumer.assignment()).containsExactly(ZP);
    assertThat(follower.caughtUp(ZONES)).isTrue(); // its end is where it is read to
    assertThat(follower.caughtUp(CAMERAS)).isFalse();

    AvroSerde<ZoneSet> zoneSerde = new AvroSerde<>(ZoneSet.class);
    ZoneSet dock = ZoneOverlayTest.set("c", "dock", "gate");
    consumer.addRecord(record(ZP, 0, "c", zoneSerde.serialize(ZONES, dock)));
    consumer.addRecord(record(ZP, 1, "c", new byte[] {1, 2, 3}));
    consumer.addRecord(record(ZP, 2, null, zoneSerde.serialize(ZONES, dock)));
    consumer.addRecord(record(ZP, 3, "d", zoneSerde.serialize(ZONES, dock)));
    consumer.addRecord(record(ZP, 4, "c", null));
    assertThat(follower.poll(CompactedFollower.RETRY_MS + 1)).isEqualTo(5);
    assertThat(zones)
        .containsExactly(
            new Change("c", dock, 1000), new Change("d", dock, 1003), new Change("c", null, 1004));
    assertThat(read).containsOnly(ZONES).hasSize(5);

    // the cameras topic appears: it is read from its beginning, the zones go on where they were
    create(consumer, CAMERAS, 2);
    consumer.updateEndOffsets(Map.of(CP0, 1L, CP1, 0L));
    follower.poll(2 * CompactedFollower.RETRY_MS);
    assertThat(consumer.assignment()).containsExactlyInAnyOrder(ZP, CP0, CP1);
    assertThat(follower.caughtUp(CAMERAS)).as("one record of partition 0 to read").isFalse();
    Camera gate =
        Camera.newBuilder()
            .setId("gate")
            .setUrl("rtsp://10.0.0.7/stream1")
            .setUpdatedAt(Instant.parse("2026-01-01T00:00:00Z"))
            .build();
    consumer.addRecord(
        record(CP0, 0, "gate", new AvroSerde<>(Camera.class).serialize(CAMERAS, gate)));
    consumer.addRecord(record(ZP, 0, "c", zoneSerde.serialize(ZONES, dock))); // read before
    consumer.addRecord(record(ZP, 5, "e", zoneSerde.serialize(ZONES, dock)));
    follower.poll(2 * CompactedFollower.RETRY_MS + 1);
    assertThat(cameras).containsExactly(new Change("gate", gate, 1000));
    assertThat(zones).hasSize(4).last().isEqualTo(new Change("e", dock, 1005));
    assertThat(follower.caughtUp(CAMERAS)).isTrue();
  }

  @Test
  void aTopicThisClientMayNotReadIsLeftAsideAndTheOthersGoOn() {
    MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
    List<Change> zones = new ArrayList<>();
    CompactedFollower follower =
        new CompactedFollower(consumer, Map.of(), t -> {})
            .follow(
                ZONES,
                ZoneSet.class,
                "zones",
                "no zones",
                (c, v, t) -> zones.add(new Change(c, v, t)))
            .follow(CAMERAS, Camera.class, "camera definitions", "no panel", (c, v, t) -> {});
    create(consumer, ZONES, 1);
    create(consumer, CAMERAS, 2);
    follower.poll(0);
    assertThat(consumer.assignment()).containsExactlyInAnyOrder(ZP, CP0, CP1);

    // its ACLs let it describe the cameras topic but not read it
    consumer.setPollException(new TopicAuthorizationException(Set.of(CAMERAS)));
    assertThat(follower.poll(1)).isZero();
    assertThat(consumer.assignment()).containsExactly(ZP);
    assertThat(follower.caughtUp(CAMERAS)).isFalse();
    ZoneSet dock = ZoneOverlayTest.set("c", "dock", "gate");
    consumer.addRecord(record(ZP, 0, "c", new AvroSerde<>(ZoneSet.class).serialize(ZONES, dock)));
    follower.poll(2);
    assertThat(zones).containsExactly(new Change("c", dock, 1000));

    // looked up again later
    follower.poll(CompactedFollower.RETRY_MS);
    assertThat(consumer.assignment()).containsExactlyInAnyOrder(ZP, CP0, CP1);
  }

  @Test
  void aTopicWhoseEndIsNotKnownCountsAsReadAfterAWhile() {
    MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
    CompactedFollower follower =
        new CompactedFollower(consumer, Map.of(), t -> {})
            .follow(CAMERAS, Camera.class, "camera definitions", "no panel", (c, v, t) -> {});
    create(consumer, CAMERAS, 2);
    consumer.updateEndOffsets(Map.of(CP0, 5L, CP1, 0L)); // five records that never come
    follower.poll(0);
    assertThat(follower.caughtUp(CAMERAS)).isFalse();
    follower.poll(CompactedFollower.CATCH_UP_MS - 1);
    assertThat(follower.caughtUp(CAMERAS)).isFalse();
    follower.poll(CompactedFollower.CATCH_UP_MS);
    assertThat(follower.caughtUp(CAMERAS)).isTrue();
    assertThat(follower.caughtUp("maskstream.not-followed")).isFalse();
  }
}
