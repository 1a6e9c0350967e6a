package io.maskstream.sinks.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.avro.ZoneSet;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class ZoneSetReaderTest {
  private static final String TOPIC = "maskstream.zones";
  private static final TopicPartition TP = new TopicPartition(TOPIC, 0);

  private record Change(String camera, ZoneSet set) {}

  private static ConsumerRecord<byte[], byte[]> record(long offset, String key, byte[] value) {
    return new ConsumerRecord<>(
        TOPIC, 0, offset, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value);
  }

  @Test
  void readsTheTopicWholeAndSkipsWhatItCannotDecode() {
    MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
    ZoneSetReader reader = new ZoneSetReader(consumer, TOPIC, Map.of());
    List<Change> changes = new ArrayList<>();

    // no topic yet: looked up again after a while, nothing read meanwhile
    assertThat(reader.poll(0, (c, s) -> changes.add(new Change(c, s)))).isZero();
    consumer.updatePartitions(
        TOPIC, List.of(new PartitionInfo(TOPIC, 0, Node.noNode(), new Node[0], new Node[0])));
    consumer.updateBeginningOffsets(Map.of(TP, 0L));
    assertThat(reader.poll(1, (c, s) -> changes.add(new Change(c, s)))).isZero();
    assertThat(consumer.assignment()).isEmpty();
    reader.poll(ZoneSetReader.RETRY_MS, (c, s) -> changes.add(new Change(c, s)));
    assertThat(consumer.assignment()).containsExactly(TP);

    AvroSerde<ZoneSet> serde = new AvroSerde<>(ZoneSet.class);
    ZoneSet dock = ZoneOverlayTest.set("c", "dock", "gate");
    consumer.addRecord(record(0, "c", serde.serialize(TOPIC, dock)));
    consumer.addRecord(record(1, "c", new byte[] {1, 2, 3}));
    consumer.addRecord(record(2, null, serde.serialize(TOPIC, dock)));
    consumer.addRecord(record(3, "d", serde.serialize(TOPIC, dock)));
    consumer.addRecord(record(4, "c", null));
    assertThat(reader.poll(ZoneSetReader.RETRY_MS + 1, (c, s) -> changes.add(new Change(c, s))))
        .isEqualTo(5);
    assertThat(changes)
        .containsExactly(new Change("c", dock), new Change("d", dock), new Change("c", null));
  }
}
