package io.maskstream.schemas.registry;

import io.maskstream.schemas.internal.AvroCodec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;

/**
 * The Confluent wire format: magic byte 0, the writer schema's registry id as a 4-byte big-endian
 * int, then Avro binary. Subjects follow the default topic-name strategy ({@code TOPIC-value} or
 * {@code TOPIC-key}).
 *
 * @param <T> the generated record class
 */
public final class ConfluentWireCodec<T extends SpecificRecord> implements AvroCodec<T> {
  static final byte MAGIC = 0;

  private final SpecificData model;
  private final Schema schema;
  private final SchemaRegistryClient registry;
  private final boolean isKey;
  private final boolean autoRegister;
  private final SpecificDatumWriter<T> writer;
  private final Map<Integer, SpecificDatumReader<T>> readers = new ConcurrentHashMap<>();

  /** A codec for {@code type} against {@code registry}. */
  public ConfluentWireCodec(
      Class<T> type, SchemaRegistryClient registry, boolean isKey, boolean autoRegister) {
    this.model = SpecificData.getForClass(type);
    this.schema = model.getSchema(type);
    this.registry = registry;
    this.isKey = isKey;
    this.autoRegister = autoRegister;
    this.writer = new SpecificDatumWriter<>(schema, model);
  }

  /** The subject a topic's schemas live under. */
  public String subject(String topic) {
    return topic + (isKey ? "-key" : "-value");
  }

  @Override
  public byte[] encode(String topic, T value) {
    String subject = subject(topic);
    int id = autoRegister ? registry.register(subject, schema) : registry.lookup(subject, schema);
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    out.write(MAGIC);
    out.writeBytes(ByteBuffer.allocate(4).putInt(id).array());
    try {
      BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
      writer.write(value, encoder);
      encoder.flush();
    } catch (IOException | AvroRuntimeException | ClassCastException | NullPointerException e) {
      throw new SerializationException(
          "cannot write " + schema.getName() + " to " + topic + ": " + e.getMessage(), e);
    }
    return out.toByteArray();
  }

  @Override
  public T decode(String topic, byte[] bytes) {
    if (bytes.length < 5 || bytes[0] != MAGIC) {
      throw new SerializationException(
          "record on "
              + topic
              + " is not in the Confluent wire format (magic byte 0 + 4-byte schema id); if it"
              + " was written without a schema registry, unset schema.registry.url");
    }
    int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
    SpecificDatumReader<T> reader =
        readers.computeIfAbsent(
            id, i -> new SpecificDatumReader<>(registry.byId(i), schema, model));
    try {
      BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(bytes, 5, bytes.length - 5, null);
      return reader.read(null, decoder);
    } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException e) {
      throw new SerializationException(
          "corrupt " + schema.getName() + " record on " + topic + " (schema id " + id + "): " + e,
          e);
    }
  }
}
