package io.maskstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.maskstream.schemas.avro.DeadLetter;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.Frame;
import io.maskstream.schemas.avro.Masks;
import io.maskstream.schemas.avro.ModelAnnouncement;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class AvroSerdeTest {

  static Stream<SpecificRecord> samples() {
    return Stream.of(
        Samples.frame(),
        Samples.detections(),
        Samples.masks(),
        Samples.announcement(),
        Samples.deadLetter());
  }

  @ParameterizedTest
  @MethodSource("samples")
  @SuppressWarnings("unchecked")
  <T extends SpecificRecord> void singleObjectEncodingRoundTrips(T sample) {
    AvroSerde<T> serde = new AvroSerde<>((Class<T>) sample.getClass());
    byte[] bytes = serde.serialize("t", sample);
    assertThat(bytes[0]).isEqualTo((byte) 0xC3);
    assertThat(bytes[1]).isEqualTo((byte) 0x01);
    assertThat(serde.deserialize("t", bytes)).isEqualTo(sample);
  }

  @Test
  void configuringWithoutRegistryKeepsSingleObjectEncoding() {
    AvroSerde<Frame> serde = new AvroSerde<>(Frame.class, Map.of("bootstrap.servers", "x"), false);
    assertThat(serde.serialize("t", Samples.frame())[0]).isEqualTo((byte) 0xC3);
  }

  @Test
  void nullsPassThroughForTombstones() {
    AvroSerde<ModelAnnouncement> serde = new AvroSerde<>(ModelAnnouncement.class);
    assertThat(serde.serialize("t", null)).isNull();
    assertThat(serde.deserialize("t", null)).isNull();
  }

  @Test
  void garbageIsRefusedWithAOneLineReason() {
    AvroSerde<Frame> serde = new AvroSerde<>(Frame.class);
    assertThatThrownBy(() -> serde.deserialize("maskstream.frames", new byte[] {1, 2, 3}))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("maskstream.frames")
        .hasMessageContaining("not Avro single-object encoding")
        .hasMessageNotContaining("\n");
    assertThatThrownBy(() -> serde.deserialize("maskstream.frames", new byte[0]))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("empty record");
  }

  @Test
  void confluentFramedBytesPointAtTheRegistrySetting() {
    AvroSerde<Frame> serde = new AvroSerde<>(Frame.class);
    assertThatThrownBy(() -> serde.deserialize("f", new byte[] {0, 0, 0, 0, 1, 2}))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("schema.registry.url");
  }

  @Test
  void truncatedRecordIsCorrupt() {
    AvroSerde<Detections> serde = new AvroSerde<>(Detections.class);
    byte[] bytes = serde.serialize("t", Samples.detections());
    byte[] truncated = java.util.Arrays.copyOf(bytes, bytes.length - 10);
    assertThatThrownBy(() -> serde.deserialize("t", truncated))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("corrupt Detections record");
  }

  @Test
  void writerSchemaOutsideTheHistoryIsRefusedClearly() throws Exception {
    Schema unknown =
        SchemaBuilder.record("Masks")
            .namespace("io.maskstream.schemas.avro")
            .fields()
            .requiredString("somethingElse")
            .endRecord();
    GenericRecord record = new GenericData.Record(unknown);
    record.put("somethingElse", "x");
    ByteBuffer buffer =
        new BinaryMessageEncoder<GenericRecord>(GenericData.get(), unknown).encode(record);
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    assertThatThrownBy(() -> new AvroSerde<>(Masks.class).deserialize("m", bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("schema this version does not know");
  }

  @Test
  void deadLetterKeepsTheOriginalBytes() {
    AvroSerde<DeadLetter> serde = new AvroSerde<>(DeadLetter.class);
    DeadLetter back = serde.deserialize("d", serde.serialize("d", Samples.deadLetter()));
    assertThat(back.getValue()).isEqualTo(ByteBuffer.wrap(new byte[] {1, 2, 3}));
    assertThat(back.getReason()).isEqualTo("JPEG cannot be decoded");
  }
}
