package io.maskstream.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.Frame;
import io.maskstream.schemas.avro.ImageEncoding;
import java.io.ByteArrayOutputStream;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The serde with {@code schema.registry.url}, against an in-test registry over real HTTP. */
class ConfluentWireFormatTest {
  private InTestSchemaRegistry registry;

  @BeforeEach
  void start() throws Exception {
    registry = new InTestSchemaRegistry();
  }

  @AfterEach
  void stop() {
    registry.close();
  }

  private AvroSerde<Frame> serde(Map<String, Object> extra) {
    Map<String, Object> config = new java.util.HashMap<>(extra);
    config.putIfAbsent("schema.registry.url", registry.url());
    return new AvroSerde<>(Frame.class, config, false);
  }

  static Frame frame(long sequence) {
    return Frame.newBuilder()
        .setCamera("cam")
        .setSequence(sequence)
        .setCaptureTime(Instant.ofEpochMilli(1_000))
        .setWidth(4)
        .setHeight(2)
        .setImage(ByteBuffer.wrap(new byte[] {9, 8, 7}))
        .build();
  }

  @Test
  void writesMagicByteSchemaIdAndPlainAvroBinary() throws Exception {
    Frame frame = frame(1);
    byte[] bytes = serde(Map.of()).serialize("maskstream.frames", frame);

    int id = registry.preRegister("maskstream.frames-value", Frame.getClassSchema());
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    expected.write(0);
    expected.writeBytes(ByteBuffer.allocate(4).putInt(id).array());
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(expected, null);
    new SpecificDatumWriter<>(Frame.class).write(frame, encoder);
    encoder.flush();

    assertThat(bytes).containsExactly(expected.toByteArray());
    assertThat(registry.requests)
        .containsExactly("POST /subjects/maskstream.frames-value/versions");
  }

  @Test
  void roundTripsAndCachesRegistryAnswers() {
    AvroSerde<Frame> writer = serde(Map.of());
    AvroSerde<Frame> reader = serde(Map.of());
    for (int i = 0; i < 50; i++) {
      assertThat(reader.deserialize("f", writer.serialize("f", frame(i)))).isEqualTo(frame(i));
    }
    assertThat(registry.requests)
        .containsExactlyInAnyOrder("POST /subjects/f-value/versions", "GET /schemas/ids/1");
  }

  @Test
  void keySerdeUsesTheKeySubject() {
    new AvroSerde<>(Frame.class, Map.of("schema.registry.url", registry.url()), true)
        .serialize("f", frame(1));
    assertThat(registry.requests).containsExactly("POST /subjects/f-key/versions");
  }

  @Test
  void withoutAutoRegisterAnUnknownSubjectIsAClearError() {
    AvroSerde<Frame> serde = serde(Map.of("auto.register.schemas", "false"));
    assertThatThrownBy(() -> serde.serialize("frames", frame(1)))
        .isInstanceOf(SchemaRegistryException.class)
        .hasMessageContaining("POST /subjects/frames-value")
        .hasMessageContaining("40401");
    int id = registry.preRegister("frames-value", Frame.getClassSchema());
    byte[] bytes = serde.serialize("frames", frame(1));
    assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(id);
  }

  @Test
  void readsRecordsWrittenWithAnOlderRegisteredSchema() throws Exception {
    // an earlier Frame without the fields that have defaults
    Schema old =
        SchemaBuilder.record("Frame")
            .namespace("io.maskstream.schemas.avro")
            .fields()
            .requiredString("camera")
            .requiredLong("sequence")
            .name("captureTime")
            .type(Frame.getClassSchema().getField("captureTime").schema())
            .noDefault()
            .requiredInt("width")
            .requiredInt("height")
            .requiredBytes("image")
            .endRecord();
    int id = registry.preRegister("f-value", old);
    GenericRecord record = new GenericData.Record(old);
    record.put("camera", "old-cam");
    record.put("sequence", 3L);
    record.put("captureTime", 5_000L);
    record.put("width", 2);
    record.put("height", 1);
    record.put("image", ByteBuffer.wrap(new byte[] {1}));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.writeBytes(ByteBuffer.allocate(4).putInt(id).array());
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(old).write(record, encoder);
    encoder.flush();

    Frame frame = serde(Map.of()).deserialize("f", out.toByteArray());
    assertThat(frame.getCamera()).isEqualTo("old-cam");
    assertThat(frame.getCaptureTime()).isEqualTo(Instant.ofEpochMilli(5_000));
    assertThat(frame.getEncoding()).isEqualTo(ImageEncoding.JPEG);
    assertThat(frame.getPresentationTime()).isNull();
  }

  @Test
  void basicAuthIsSent() {
    registry.requiredAuthorization =
        "Basic " + Base64.getEncoder().encodeToString("alice:secret".getBytes());
    assertThatThrownBy(() -> serde(Map.of()).serialize("f", frame(1)))
        .isInstanceOf(SchemaRegistryException.class)
        .hasMessageContaining("401");
    byte[] bytes = serde(Map.of("basic.auth.user.info", "alice:secret")).serialize("f", frame(1));
    assertThat(bytes[0]).isZero();
  }

  @Test
  void triesTheNextUrlWhenOneIsDownOrFailing() throws Exception {
    int deadPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      deadPort = socket.getLocalPort();
    }
    String urls = "http://127.0.0.1:" + deadPort + "," + registry.url();
    assertThat(serde(Map.of("schema.registry.url", urls)).serialize("f", frame(1))[0]).isZero();

    registry.failWith500 = true;
    assertThatThrownBy(() -> serde(Map.of("schema.registry.url", urls)).serialize("g", frame(1)))
        .isInstanceOf(SchemaRegistryException.class)
        .hasMessageContaining("50001");
  }

  @Test
  void unreachableRegistryIsAOneLineError() throws Exception {
    int deadPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      deadPort = socket.getLocalPort();
    }
    AvroSerde<Frame> serde = serde(Map.of("schema.registry.url", "http://127.0.0.1:" + deadPort));
    assertThatThrownBy(() -> serde.serialize("f", frame(1)))
        .isInstanceOf(SchemaRegistryException.class)
        .hasMessageContaining("cannot be reached");
  }

  @Test
  void unknownSchemaIdAndBadFramingAreSerializationErrors() {
    AvroSerde<Detections> serde =
        new AvroSerde<>(Detections.class, Map.of("schema.registry.url", registry.url()), false);
    assertThatThrownBy(() -> serde.deserialize("d", new byte[] {0, 0, 0, 0, 99, 1}))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("40403");
    assertThatThrownBy(() -> serde.deserialize("d", new byte[] {(byte) 0xC3, 1, 2, 3, 4, 5}))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("unset schema.registry.url");
    byte[] good = serde(Map.of()).serialize("x", frame(1));
    assertThatThrownBy(() -> serde(Map.of()).deserialize("x", Arrays.copyOf(good, 7)))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("corrupt Frame record");
  }
}
