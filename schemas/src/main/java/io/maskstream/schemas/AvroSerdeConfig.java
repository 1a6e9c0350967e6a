package io.maskstream.schemas;

import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.types.Password;

/**
 * Settings of {@link AvroSerde}, read from the Kafka client properties it is configured with.
 *
 * <p>With no {@value #SCHEMA_REGISTRY_URL_CONFIG}, values are Avro single-object encoding and need
 * nothing but this jar. With it, values use the Confluent wire format against a
 * Confluent-compatible schema registry.
 */
public final class AvroSerdeConfig extends AbstractConfig {
  public static final String SCHEMA_REGISTRY_URL_CONFIG = "schema.registry.url";
  private static final String SCHEMA_REGISTRY_URL_DOC =
      "Comma-separated base URLs of a Confluent-compatible schema registry. Empty: Avro"
          + " single-object encoding, no registry.";

  public static final String BASIC_AUTH_USER_INFO_CONFIG = "basic.auth.user.info";
  private static final String BASIC_AUTH_USER_INFO_DOC =
      "user:password for HTTP basic authentication against the schema registry.";

  public static final String AUTO_REGISTER_SCHEMAS_CONFIG = "auto.register.schemas";
  private static final String AUTO_REGISTER_SCHEMAS_DOC =
      "Register the writer schema under the subject TOPIC-value (or TOPIC-key) when it is missing;"
          + " when false the schema must already be registered.";

  public static final String SCHEMA_REGISTRY_TIMEOUT_MS_CONFIG = "schema.registry.timeout.ms";
  private static final String SCHEMA_REGISTRY_TIMEOUT_MS_DOC =
      "Timeout of one request to the schema registry.";

  private static final ConfigDef CONFIG =
      new ConfigDef()
          .define(
              SCHEMA_REGISTRY_URL_CONFIG, Type.LIST, "", Importance.HIGH, SCHEMA_REGISTRY_URL_DOC)
          .define(
              BASIC_AUTH_USER_INFO_CONFIG,
              Type.PASSWORD,
              "",
              Importance.MEDIUM,
              BASIC_AUTH_USER_INFO_DOC)
          .define(
              AUTO_REGISTER_SCHEMAS_CONFIG,
              Type.BOOLEAN,
              true,
              Importance.MEDIUM,
              AUTO_REGISTER_SCHEMAS_DOC)
          .define(
              SCHEMA_REGISTRY_TIMEOUT_MS_CONFIG,
              Type.INT,
              30_000,
              ConfigDef.Range.atLeast(1),
              Importance.LOW,
              SCHEMA_REGISTRY_TIMEOUT_MS_DOC);

  /** Reads the serde settings out of any Kafka client properties; unknown keys are ignored. */
  public AvroSerdeConfig(Map<?, ?> props) {
    super(CONFIG, props, false);
  }

  /** The definition of every key, for documentation. */
  public static ConfigDef configDef() {
    return new ConfigDef(CONFIG);
  }

  /** True when a schema registry is configured. */
  public boolean usesRegistry() {
    return !getList(SCHEMA_REGISTRY_URL_CONFIG).isEmpty();
  }

  /** The basic-auth {@code user:password}, or an empty string. */
  public String userInfo() {
    Password p = getPassword(BASIC_AUTH_USER_INFO_CONFIG);
    return p == null ? "" : p.value();
  }
}
