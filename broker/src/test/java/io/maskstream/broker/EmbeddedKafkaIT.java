package io.maskstream.broker;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real broker: admin, produce, consume, restart, ports, errors and large records. */
class EmbeddedKafkaIT {

  /** Shared by the tests that need just some running broker. */
  private static EmbeddedKafka shared;

  @BeforeAll
  static void startShared() {
    shared = EmbeddedKafka.builder().build().start();
  }

  @AfterAll
  static void closeShared() {
    if (shared != null) {
      shared.close();
    }
  }

  @Test
  void startsOnAChosenPortAndServesAdminProducerAndConsumer(@TempDir Path dir) throws Exception {
    int port = EmbeddedKafka.freePort(0);
    try (EmbeddedKafka kafka =
        EmbeddedKafka.builder().port(port).dataDir(dir.resolve("kafka")).build().start()) {
      assertThat(kafka.port()).isEqualTo(port);
      assertThat(kafka.bootstrapServers()).isEqualTo("127.0.0.1:" + port);
      assertThat(kafka.isRunning()).isTrue();

      KafkaIo.createTopic(kafka.bootstrapServers(), "frames", 2, Map.of());
      assertThat(KafkaIo.topics(kafka.bootstrapServers())).contains("frames");
      KafkaIo.send(kafka.bootstrapServers(), "frames", "cam-1".getBytes(UTF_8), bytes("hello"));

      List<ConsumerRecord<byte[], byte[]>> records =
          KafkaIo.consume(kafka.bootstrapServers(), "frames", 1);
      assertThat(records).hasSize(1);
      assertThat(new String(records.get(0).key(), UTF_8)).isEqualTo("cam-1");
      assertThat(new String(records.get(0).value(), UTF_8)).isEqualTo("hello");
    }
  }

  @Test
  void dataSurvivesARestartOnTheSameDataDir(@TempDir Path dir) throws Exception {
    Path dataDir = dir.resolve("kafka");
    int port;
    try (EmbeddedKafka first = EmbeddedKafka.builder().dataDir(dataDir).build().start()) {
      port = first.port();
      KafkaIo.createTopic(first.bootstrapServers(), "durable", 1, Map.of());
      KafkaIo.send(first.bootstrapServers(), "durable", null, bytes("before restart"));
    }
    assertThat(dataDir.resolve("kafka-logs/meta.properties")).isRegularFile();

    // a new instance on the same data dir and port: not re-formatted, the record is still there
    try (EmbeddedKafka second = EmbeddedKafka.builder().port(port).dataDir(dataDir).build()) {
      second.start();
      assertThat(values(KafkaIo.consume(second.bootstrapServers(), "durable", 1)))
          .containsExactly("before restart");

      // stop/start of the same instance keeps port and data too
      KafkaIo.send(second.bootstrapServers(), "durable", null, bytes("second"));
      second.restart();
      assertThat(second.port()).isEqualTo(port);
      assertThat(values(KafkaIo.consume(second.bootstrapServers(), "durable", 2)))
          .containsExactly("before restart", "second");
    }

    // and on another port (the controller port changes too)
    try (EmbeddedKafka third = EmbeddedKafka.builder().dataDir(dataDir).build().start()) {
      assertThat(values(KafkaIo.consume(third.bootstrapServers(), "durable", 2)))
          .containsExactly("before restart", "second");
    }
    assertThat(dataDir).isDirectory(); // a given data dir is kept
  }

  @Test
  void portZeroPicksAFreePortAndTwoBrokersRunAtOnce() throws Exception {
    EmbeddedKafka other = EmbeddedKafka.builder().port(0).build();
    try {
      other.start();
      assertThat(other.port()).isPositive().isNotEqualTo(shared.port());
      assertThat(other.controllerPort()).isPositive().isNotEqualTo(other.port());
      assertThat(other.dataDir()).isNotEqualTo(shared.dataDir());

      KafkaIo.createTopic(other.bootstrapServers(), "only-on-other", 1, Map.of());
      KafkaIo.send(other.bootstrapServers(), "only-on-other", null, bytes("x"));
      assertThat(KafkaIo.topics(other.bootstrapServers())).contains("only-on-other");
      assertThat(KafkaIo.topics(shared.bootstrapServers())).doesNotContain("only-on-other");
    } finally {
      other.close();
    }
    assertThat(other.dataDir()).doesNotExist(); // a temporary data dir is deleted on close
    other.close(); // idempotent
    assertThatThrownBy(other::start).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aTakenPortGivesAClearError() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("127.0.0.1", 0));
      int port = taken.getLocalPort();
      try (EmbeddedKafka kafka = EmbeddedKafka.builder().port(port).build()) {
        assertThatThrownBy(kafka::start)
            .isInstanceOf(BrokerException.class)
            .hasMessage("Kafka client port 127.0.0.1:" + port + " is already in use");
        assertThat(kafka.isRunning()).isFalse();
      }
    }
  }

  @Test
  void aDataDirInUseGivesAClearError() {
    try (EmbeddedKafka second = EmbeddedKafka.builder().dataDir(shared.dataDir()).build()) {
      assertThatThrownBy(second::start)
          .isInstanceOf(BrokerException.class)
          .hasMessageContaining("is in use by another running broker");
    }
    assertThat(shared.isRunning()).isTrue();
  }

  @Test
  void anUnwritableDataDirGivesAClearError(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(file.resolve("kafka")).build()) {
      assertThatThrownBy(kafka::start)
          .isInstanceOf(BrokerException.class)
          .hasMessageStartingWith("Kafka data dir " + file.resolve("kafka") + " is not writable");
    }
  }

  @Test
  void an8MiBRecordIsProducedAndConsumed() throws Exception {
    byte[] frame = new byte[8 * 1024 * 1024];
    new Random(42).nextBytes(frame);
    KafkaIo.createTopic(
        shared.bootstrapServers(),
        "large-frames",
        1,
        Map.of("max.message.bytes", String.valueOf(9 * 1024 * 1024)));

    KafkaIo.send(shared.bootstrapServers(), "large-frames", bytes("frame-0"), frame);

    List<ConsumerRecord<byte[], byte[]>> records =
        KafkaIo.consume(shared.bootstrapServers(), "large-frames", 1);
    assertThat(records).hasSize(1);
    assertThat(records.get(0).value()).isEqualTo(frame);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }

  private static List<String> values(List<ConsumerRecord<byte[], byte[]>> records) {
    return records.stream().map(r -> new String(r.value(), UTF_8)).toList();
  }
}
