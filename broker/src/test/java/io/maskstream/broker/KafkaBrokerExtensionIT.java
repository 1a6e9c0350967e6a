package io.maskstream.broker;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The extension with the backend chosen by {@code -Dmaskstream.it.kafka} (embedded by default), one
 * broker shared by the class.
 */
class KafkaBrokerExtensionIT extends KafkaBrokerExtensionContract {

  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  @Override
  KafkaBrokerExtension kafka() {
    return kafka;
  }
}
