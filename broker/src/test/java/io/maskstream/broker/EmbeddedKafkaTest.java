package io.maskstream.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import kafka.server.KafkaConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configuration, formatting and argument checks, without starting a broker. */
class EmbeddedKafkaTest {

  @Test
  void serverPropertiesDescribeASingleNodeKraftBrokerAndController(@TempDir Path dir) {
    Path logDir = dir.resolve("kafka-logs");
    Properties props = EmbeddedKafka.serverProperties(logDir, 9092, 9093, Map.of());

    assertThat(props)
        .containsEntry("process.roles", "broker,controller")
        .containsEntry("node.id", "1")
        .containsEntry("controller.quorum.voters", "1@127.0.0.1:9093")
        .containsEntry("listeners", "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093")
        .containsEntry("advertised.listeners", "PLAINTEXT://127.0.0.1:9092")
        .containsEntry("controller.listener.names", "CONTROLLER")
        .containsEntry("inter.broker.listener.name", "PLAINTEXT")
        .containsEntry("log.dirs", logDir.toAbsolutePath().toString())
        .containsEntry("offsets.topic.replication.factor", "1")
        .containsEntry("transaction.state.log.replication.factor", "1")
        .containsEntry("transaction.state.log.min.isr", "1")
        .containsEntry("share.coordinator.state.topic.replication.factor", "1")
        .containsEntry("share.coordinator.state.topic.min.isr", "1")
        .containsEntry("group.initial.rebalance.delay.ms", "0")
        .containsEntry("message.max.bytes", "10485760")
        .containsEntry("auto.create.topics.enable", "true");

    // Kafka itself accepts it
    KafkaConfig config = new KafkaConfig(props);
    assertThat(config.nodeId()).isEqualTo(1);
    assertThat(config.metadataLogDir()).isEqualTo(logDir.toAbsolutePath().toString());
  }

  @Test
  void brokerConfigOverridesWin(@TempDir Path dir) {
    Properties props =
        EmbeddedKafka.serverProperties(
            dir, 9092, 9093, Map.of("num.partitions", "4", "log.retention.ms", "60000"));

    assertThat(props)
        .containsEntry("num.partitions", "4")
        .containsEntry("log.retention.ms", "60000");
  }

  @Test
  void formatsOnlyAnUnformattedLogDir(@TempDir Path dir) throws Exception {
    Path logDir = Files.createDirectories(dir.resolve("kafka-logs"));
    assertThat(EmbeddedKafka.isFormatted(logDir)).isFalse();

    EmbeddedKafka.format(logDir);

    assertThat(EmbeddedKafka.isFormatted(logDir)).isTrue();
    assertThat(Files.readString(logDir.resolve("meta.properties")))
        .contains("node.id=1")
        .contains("cluster.id=")
        .contains("version=1");
    // formatting again would fail: this is why start() formats only when meta.properties is missing
    assertThatThrownBy(() -> EmbeddedKafka.format(logDir))
        .isInstanceOf(BrokerException.class)
        .hasMessageContaining("Invalid cluster.id");
  }

  @Test
  void builderRejectsBadArguments() {
    assertThatThrownBy(() -> EmbeddedKafka.builder().port(70000))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> EmbeddedKafka.builder().port(9092).controllerPort(9092).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must differ");
    assertThatThrownBy(() -> EmbeddedKafka.builder().build().bootstrapServers())
        .isInstanceOf(IllegalStateException.class);
    assertThat(EmbeddedKafka.builder().port(19092).build().bootstrapServers())
        .isEqualTo("127.0.0.1:19092");
  }

  @Test
  void anInvalidBrokerConfigGivesAClearErrorWithoutStarting(@TempDir Path dir) {
    try (EmbeddedKafka kafka =
        EmbeddedKafka.builder().dataDir(dir).brokerConfig("num.partitions", "many").build()) {
      assertThatThrownBy(kafka::start)
          .isInstanceOf(BrokerException.class)
          .hasMessageStartingWith("Invalid Kafka broker config:")
          .hasMessageContaining("num.partitions");
      assertThat(kafka.isRunning()).isFalse();
    }
    assertThat(EmbeddedKafka.isFormatted(dir.resolve("kafka-logs"))).isFalse();
  }

  @Test
  void closeWithoutStartIsHarmless() {
    EmbeddedKafka kafka = EmbeddedKafka.builder().build();
    kafka.close();
    kafka.close();
    assertThat(kafka.dataDir()).isNull();
  }
}
