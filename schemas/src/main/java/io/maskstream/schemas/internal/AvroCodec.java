package io.maskstream.schemas.internal;

import org.apache.kafka.common.errors.SerializationException;

/**
 * Turns one record type into bytes and back for a topic; the wire format is the codec's.
 *
 * @param <T> the record type
 */
public interface AvroCodec<T> {
  /**
   * Encodes a non-null value.
   *
   * @throws SerializationException when the value cannot be written
   */
  byte[] encode(String topic, T value);

  /**
   * Decodes non-null bytes.
   *
   * @throws SerializationException with a one-line reason when the bytes are not a valid record
   */
  T decode(String topic, byte[] bytes);
}
