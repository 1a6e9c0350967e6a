package io.maskstream.schemas;

import io.maskstream.schemas.internal.AvroCodec;
import io.maskstream.schemas.internal.SingleObjectCodec;
import io.maskstream.schemas.internal.TrustedClasses;
import io.maskstream.schemas.registry.ConfluentWireCodec;
import io.maskstream.schemas.registry.RestSchemaRegistryClient;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for one maskstream Avro record type.
 *
 * <p>Unconfigured, or configured without {@value AvroSerdeConfig#SCHEMA_REGISTRY_URL_CONFIG}, it
 * writes Avro single-object encoding ({@code C3 01}, 8-byte schema fingerprint, Avro binary) and
 * reads it back from every schema version this jar ships, so no registry is needed. Configured with
 * a registry URL, it writes and reads the Confluent wire format (magic byte 0, 4-byte schema id,
 * Avro binary). The instance is its own serializer and deserializer, is thread-safe once
 * configured, and holds no resources that need closing.
 *
 * @param <T> the generated record class
 */
public final class AvroSerde<T extends SpecificRecord>
    implements Serde<T>, Serializer<T>, Deserializer<T> {
  private final Class<T> type;
  private volatile AvroCodec<T> codec;

  /** A serde for {@code type}, in single-object encoding until configured otherwise. */
  public AvroSerde(Class<T> type) {
    TrustedClasses.install();
    this.type = Objects.requireNonNull(type, "type");
    this.codec = new SingleObjectCodec<>(type);
  }

  /** A serde for {@code type} configured from Kafka client properties. */
  public AvroSerde(Class<T> type, Map<String, ?> configs, boolean isKey) {
    this(type);
    configure(configs, isKey);
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    AvroSerdeConfig config = new AvroSerdeConfig(configs);
    if (config.usesRegistry()) {
      codec =
          new ConfluentWireCodec<>(
              type,
              new RestSchemaRegistryClient(
                  config.getList(AvroSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG),
                  config.userInfo(),
                  config.getInt(AvroSerdeConfig.SCHEMA_REGISTRY_TIMEOUT_MS_CONFIG)),
              isKey,
              config.getBoolean(AvroSerdeConfig.AUTO_REGISTER_SCHEMAS_CONFIG));
    } else {
      codec = new SingleObjectCodec<>(type);
    }
  }

  /** The record class this serde handles. */
  public Class<T> type() {
    return type;
  }

  @Override
  public byte[] serialize(String topic, T data) {
    return data == null ? null : codec.encode(topic, data);
  }

  @Override
  public T deserialize(String topic, byte[] data) {
    return data == null ? null : codec.decode(topic, data);
  }

  @Override
  public Serializer<T> serializer() {
    return this;
  }

  @Override
  public Deserializer<T> deserializer() {
    return this;
  }

  @Override
  public void close() {
    // nothing native or pooled to release
  }
}
