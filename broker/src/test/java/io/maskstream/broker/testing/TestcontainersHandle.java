package io.maskstream.broker.testing;

import io.maskstream.broker.EmbeddedKafka;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.utils.internals.AppInfoParser;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The Testcontainers backend of {@link KafkaBrokerExtension}: one {@link KafkaContainer}, started
 * once and removed on close. Loaded only when that backend is chosen, so that Testcontainers is
 * needed on the classpath only then.
 */
final class TestcontainersHandle implements KafkaBrokerExtension.BrokerHandle {
  private final KafkaContainer container;
  private boolean started;

  private TestcontainersHandle(KafkaContainer container) {
    this.container = container;
  }

  /** Whether a Docker engine answers (Testcontainers caches the answer). */
  static boolean dockerAvailable() {
    return DockerClientFactory.instance().isDockerAvailable();
  }

  /** Creates the (not yet started) container; the caller checked {@link #dockerAvailable()}. */
  static TestcontainersHandle create(Map<String, String> brokerConfig) {
    String image =
        System.getProperty(
            KafkaBrokerExtension.IMAGE_PROPERTY, "apache/kafka:" + AppInfoParser.getVersion());
    KafkaContainer container =
        new KafkaContainer(DockerImageName.parse(image).asCompatibleSubstituteFor("apache/kafka"));
    Map<String, String> config = new LinkedHashMap<>();
    config.put("message.max.bytes", String.valueOf(EmbeddedKafka.DEFAULT_MAX_MESSAGE_BYTES));
    config.put("replica.fetch.max.bytes", String.valueOf(EmbeddedKafka.DEFAULT_MAX_MESSAGE_BYTES));
    config.put("group.initial.rebalance.delay.ms", "0");
    config.putAll(brokerConfig);
    config.forEach((key, value) -> container.withEnv(envName(key), value));
    return new TestcontainersHandle(container);
  }

  /** The apache/kafka image's environment name of a broker setting. */
  static String envName(String key) {
    return "KAFKA_"
        + key.replace("_", "__").replace("-", "___").replace(".", "_").toUpperCase(Locale.ROOT);
  }

  @Override
  public String bootstrapServers() {
    return container.getBootstrapServers();
  }

  @Override
  public void start() {
    if (container.isRunning()) {
      return;
    }
    Assumptions.assumeFalse(
        started, "restarting the Testcontainers Kafka broker is not supported: skipping");
    started = true;
    container.start();
  }

  @Override
  public void stop() {
    Assumptions.abort(
        "stopping the Testcontainers Kafka broker (keeping its data) is not supported: skipping");
  }

  @Override
  public boolean isRunning() {
    return container.isRunning();
  }

  @Override
  public void close() {
    container.stop();
  }
}
