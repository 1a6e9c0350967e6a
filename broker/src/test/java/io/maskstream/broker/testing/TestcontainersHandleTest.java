package io.maskstream.broker.testing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The apache/kafka image's environment naming of broker settings (no Docker needed). */
class TestcontainersHandleTest {

  @Test
  void brokerSettingsBecomeKafkaEnvironmentVariables() {
    assertThat(TestcontainersHandle.envName("message.max.bytes"))
        .isEqualTo("KAFKA_MESSAGE_MAX_BYTES");
    assertThat(TestcontainersHandle.envName("listener.name.internal.ssl.key_store"))
        .isEqualTo("KAFKA_LISTENER_NAME_INTERNAL_SSL_KEY__STORE");
    assertThat(TestcontainersHandle.envName("some-setting.x")).isEqualTo("KAFKA_SOME___SETTING_X");
  }
}
