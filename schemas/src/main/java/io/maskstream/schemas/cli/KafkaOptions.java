package io.maskstream.schemas.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import picocli.CommandLine.Option;

/** Kafka client settings shared by every command that talks to Kafka. */
public final class KafkaOptions {
  /** Where {@code maskstream broker} listens by default. */
  public static final String DEFAULT_BOOTSTRAP = "127.0.0.1:9092";

  @Option(
      names = "--bootstrap",
      paramLabel = "HOST:PORT",
      description =
          "Kafka bootstrap servers (default: ${DEFAULT-VALUE}, where 'maskstream broker' listens).",
      defaultValue = DEFAULT_BOOTSTRAP)
  String bootstrap;

  @Option(
      names = "--kafka-config",
      paramLabel = "FILE",
      description =
          "Kafka client properties (any client setting: SASL, TLS, schema.registry.url,"
              + " maskstream.topic.*); --bootstrap overrides bootstrap.servers.")
  Path kafkaConfig;

  /**
   * The client properties: the file's entries, then {@code bootstrap.servers} from {@code
   * --bootstrap} when given or when the file has none.
   *
   * @throws UserException when the file is missing or unreadable
   */
  public Properties clientProperties() {
    Properties props = new Properties();
    if (kafkaConfig != null) {
      try (Reader reader = Files.newBufferedReader(kafkaConfig)) {
        props.load(reader);
      } catch (NoSuchFileException e) {
        throw new UserException("--kafka-config " + kafkaConfig + " does not exist");
      } catch (IOException | IllegalArgumentException e) {
        throw new UserException(
            "cannot read --kafka-config " + kafkaConfig + ": " + e.getMessage(), e);
      }
    }
    boolean explicit = !DEFAULT_BOOTSTRAP.equals(bootstrap);
    if (explicit || !props.containsKey(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)) {
      props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    }
    return props;
  }

  /**
   * The client properties as {@link #clientProperties()} gives them, or empty ones when the file
   * cannot be read: for error messages, which must not fail themselves.
   */
  public Properties clientPropertiesOrEmpty() {
    try {
      return clientProperties();
    } catch (RuntimeException e) {
      return new Properties();
    }
  }
}
