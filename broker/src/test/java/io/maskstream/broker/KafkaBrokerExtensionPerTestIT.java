package io.maskstream.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Registered as an instance field, the extension gives each test a fresh broker. */
class KafkaBrokerExtensionPerTestIT {

  @RegisterExtension KafkaBrokerExtension kafka = KafkaBrokerExtension.embedded();

  @Test
  void firstTestGetsAFreshBroker() throws Exception {
    assertFreshBroker();
  }

  @Test
  void secondTestGetsAFreshBroker() throws Exception {
    assertFreshBroker();
  }

  private void assertFreshBroker() throws Exception {
    assertThat(kafka.isRunning()).isTrue();
    assertThat(KafkaIo.topics(kafka.bootstrapServers())).doesNotContain("per-test");
    kafka.createTopic("per-test", 1); // would fail if the other test's broker were reused
    Path dataDir = kafka.dataDir();
    assertThat(dataDir.resolve("kafka-logs/meta.properties")).isRegularFile();
  }
}
