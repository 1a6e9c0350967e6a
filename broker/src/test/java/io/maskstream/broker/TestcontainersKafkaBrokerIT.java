package io.maskstream.broker;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * The extension's Testcontainers backend (a Kafka container); the whole class is skipped where no
 * Docker engine is available, and the restart tests are skipped on this backend.
 */
@Testcontainers(disabledWithoutDocker = true)
class TestcontainersKafkaBrokerIT extends KafkaBrokerExtensionContract {

  @RegisterExtension static KafkaBrokerExtension kafka = KafkaBrokerExtension.testcontainers();

  @Override
  KafkaBrokerExtension kafka() {
    return kafka;
  }
}
