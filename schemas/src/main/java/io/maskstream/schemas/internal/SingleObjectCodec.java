package io.maskstream.schemas.internal;

import io.maskstream.schemas.SchemaHistory;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Avro single-object encoding: {@code C3 01}, the 8-byte CRC-64-AVRO fingerprint of the writer
 * schema, then Avro binary. Decodes bytes written with any schema in {@link SchemaHistory}.
 *
 * @param <T> the generated record class
 */
public final class SingleObjectCodec<T extends SpecificRecord> implements AvroCodec<T> {
  private final String typeName;
  private final BinaryMessageEncoder<T> encoder;
  private final BinaryMessageDecoder<T> decoder;

  /** A codec for {@code type}, resolving earlier writer schemas from the shipped history. */
  public SingleObjectCodec(Class<T> type) {
    SpecificData model = SpecificData.getForClass(type);
    Schema schema = model.getSchema(type);
    this.typeName = schema.getName();
    SchemaStore.Cache history = new SchemaStore.Cache();
    for (Schema old : SchemaHistory.versions(schema.getName())) {
      history.addSchema(old);
    }
    this.encoder = new BinaryMessageEncoder<>(model, schema);
    this.decoder = new BinaryMessageDecoder<>(model, schema, history);
  }

  @Override
  public byte[] encode(String topic, T value) {
    try {
      ByteBuffer buffer = encoder.encode(value);
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      return bytes;
    } catch (IOException | AvroRuntimeException | ClassCastException | NullPointerException e) {
      throw new SerializationException(
          "cannot write " + typeName + " to " + topic + ": " + e.getMessage(), e);
    }
  }

  @Override
  public T decode(String topic, byte[] bytes) {
    try {
      return decoder.decode(bytes);
    } catch (BadHeaderException e) {
      if (bytes.length >= 2 && bytes[0] == (byte) 0xC3 && bytes[1] == 0x01) {
        throw new SerializationException(
            "truncated " + typeName + " record on " + topic + ": " + bytes.length + " bytes", e);
      }
      throw new SerializationException(
          "record on "
              + topic
              + " is not Avro single-object encoding (expected header C3 01, got "
              + header(bytes)
              + "); if it was written with a schema registry, set schema.registry.url",
          e);
    } catch (MissingSchemaException e) {
      throw new SerializationException(
          "record on "
              + topic
              + " was written with a "
              + typeName
              + " schema this version does not know; upgrade the reader",
          e);
    } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException e) {
      throw new SerializationException(
          "corrupt " + typeName + " record on " + topic + ": " + e.getMessage(), e);
    }
  }

  private static String header(byte[] bytes) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < Math.min(2, bytes.length); i++) {
      s.append(String.format("%02X ", bytes[i]));
    }
    return bytes.length == 0 ? "empty record" : s.toString().trim();
  }
}
