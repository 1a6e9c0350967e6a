package io.maskstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.schemas.avro.Camera;
import io.maskstream.schemas.avro.CameraStatus;
import io.maskstream.schemas.avro.DeadLetter;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.Frame;
import io.maskstream.schemas.avro.Masks;
import io.maskstream.schemas.avro.ModelAnnouncement;
import io.maskstream.schemas.avro.ModelServing;
import io.maskstream.schemas.avro.ObjectEvent;
import io.maskstream.schemas.avro.ShadowCandidate;
import io.maskstream.schemas.avro.ShadowReport;
import io.maskstream.schemas.avro.TrackerSnapshot;
import io.maskstream.schemas.avro.ZoneEvent;
import io.maskstream.schemas.avro.ZoneSet;
import io.maskstream.schemas.avro.ZoneState;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The schema version history: bytes written with every earlier schema (committed under {@code
 * src/test/resources/history/NAME.vN.bin}, made from {@code NAME.vN.json}) must decode with the
 * current classes, field for field.
 *
 * <p>To add a version: copy the new schema to {@code src/main/resources/.../history/NAME.vN.avsc},
 * write a datum as {@code NAME.vN.json} and run this test once with {@code
 * -Dmaskstream.history.write=true} to create the {@code .bin} file.
 */
class SchemaHistoryTest {
  private static final Path TEST_RESOURCES = Path.of("src/test/resources/history");

  static Stream<Class<? extends SpecificRecord>> types() {
    return Stream.of(
        Frame.class,
        Detections.class,
        Masks.class,
        ModelAnnouncement.class,
        DeadLetter.class,
        TrackerSnapshot.class,
        ObjectEvent.class,
        ZoneSet.class,
        ZoneEvent.class,
        ZoneState.class,
        Camera.class,
        CameraStatus.class,
        ModelServing.class,
        ShadowCandidate.class,
        ShadowReport.class);
  }

  static Stream<Arguments> versions() {
    List<Arguments> all = new ArrayList<>();
    types()
        .forEach(
            type -> {
              List<Schema> versions = SchemaHistory.versions(type.getSimpleName());
              for (int v = 0; v < versions.size(); v++) {
                all.add(Arguments.of(type, v + 1, versions.get(v)));
              }
            });
    return all.stream();
  }

  @ParameterizedTest
  @MethodSource("types")
  void newestHistoryEntryIsTheCurrentSchema(Class<? extends SpecificRecord> type) {
    List<Schema> versions = SchemaHistory.versions(type.getSimpleName());
    assertThat(versions)
        .as("history of %s (add history/%s.v1.avsc)", type.getSimpleName(), type.getSimpleName())
        .isNotEmpty();
    assertThat(versions.get(versions.size() - 1))
        .as(
            "%s changed: add it as history/%s.v%d.avsc with a datum and golden bytes",
            type.getSimpleName(), type.getSimpleName(), versions.size() + 1)
        .isEqualTo(current(type));
  }

  @ParameterizedTest(name = "{0} v{1}")
  @MethodSource("versions")
  void everyVersionIsReadableByTheCurrentSchema(Class<?> type, int version, Schema writer) {
    SchemaCompatibility.SchemaPairCompatibility result =
        SchemaCompatibility.checkReaderWriterCompatibility(current(type), writer);
    assertThat(result.getType())
        .as("%s v%d: %s", type.getSimpleName(), version, result.getDescription())
        .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
  }

  @ParameterizedTest(name = "{0} v{1}")
  @MethodSource("versions")
  <T extends SpecificRecord> void goldenBytesOfEveryVersionDecode(
      Class<T> type, int version, Schema writer) throws IOException {
    String base = type.getSimpleName() + ".v" + version;
    GenericRecord expected = readJsonDatum(writer, base + ".json");
    byte[] golden = golden(base + ".bin", writer, expected);

    T decoded = new AvroSerde<>(type).deserialize("topic", golden);

    // compare as generic data under the current schema, so logical types do not get in the way
    Schema schema = current(type);
    GenericRecord actual =
        new BinaryMessageDecoder<GenericRecord>(GenericData.get(), schema)
            .decode(new AvroSerde<>(type).serialize("topic", decoded));
    // the datum as the current schema reads it: fields added later take their defaults, at any
    // depth
    ByteArrayOutputStream written = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(written, null);
    new GenericDatumWriter<GenericRecord>(writer).write(expected, encoder);
    encoder.flush();
    GenericRecord resolved =
        new GenericDatumReader<GenericRecord>(writer, schema)
            .read(null, DecoderFactory.get().binaryDecoder(written.toByteArray(), null));
    for (Schema.Field field : schema.getFields()) {
      assertThat(String.valueOf(actual.get(field.name())))
          .as("%s field %s", base, field.name())
          .isEqualTo(String.valueOf(resolved.get(field.name())));
    }
  }

  private static Schema current(Class<?> type) {
    try {
      return (Schema) type.getField("SCHEMA$").get(null);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  private static GenericRecord readJsonDatum(Schema writer, String resource) throws IOException {
    try (InputStream in = SchemaHistoryTest.class.getResourceAsStream("/history/" + resource)) {
      assertThat(in).as("datum %s", resource).isNotNull();
      String json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return new GenericDatumReader<GenericRecord>(writer)
          .read(null, org.apache.avro.io.DecoderFactory.get().jsonDecoder(writer, json));
    }
  }

  private static byte[] golden(String resource, Schema writer, GenericRecord datum)
      throws IOException {
    try (InputStream in = SchemaHistoryTest.class.getResourceAsStream("/history/" + resource)) {
      if (in != null) {
        return in.readAllBytes();
      }
    }
    if (Boolean.getBoolean("maskstream.history.write")) {
      ByteBuffer buffer =
          new BinaryMessageEncoder<GenericRecord>(GenericData.get(), writer).encode(datum);
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      Files.write(TEST_RESOURCES.resolve(resource), bytes);
      return bytes;
    }
    throw new AssertionError(
        "missing golden bytes history/"
            + resource
            + ": run this test once with -Dmaskstream.history.write=true and commit the file");
  }
}
