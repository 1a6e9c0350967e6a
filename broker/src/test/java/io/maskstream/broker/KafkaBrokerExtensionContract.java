package io.maskstream.broker;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * What every backend of {@link KafkaBrokerExtension} must do; run by the {@code *IT} subclasses.
 */
abstract class KafkaBrokerExtensionContract {

  abstract KafkaBrokerExtension kafka();

  @Test
  void createsTopicsAndServesProducersAndConsumers() throws Exception {
    kafka().createTopic("contract-round-trip", 2, Map.of("retention.ms", "3600000"));

    KafkaIo.send(kafka().bootstrapServers(), "contract-round-trip", null, "hi".getBytes(UTF_8));

    assertThat(values(KafkaIo.consume(kafka().bootstrapServers(), "contract-round-trip", 1)))
        .containsExactly("hi");
  }

  @Test
  void restartKeepsTheAddressAndTheData() throws Exception {
    String bootstrap = kafka().bootstrapServers();
    kafka().createTopic("contract-restart", 1);
    KafkaIo.send(bootstrap, "contract-restart", null, "kept".getBytes(UTF_8));

    kafka().restart();

    assertThat(kafka().isRunning()).isTrue();
    assertThat(kafka().bootstrapServers()).isEqualTo(bootstrap);
    assertThat(values(KafkaIo.consume(bootstrap, "contract-restart", 1))).containsExactly("kept");
  }

  @Test
  void stopAndStart() throws Exception {
    kafka().createTopic("contract-stop", 1);
    KafkaIo.send(kafka().bootstrapServers(), "contract-stop", null, "a".getBytes(UTF_8));

    kafka().stop();
    assertThat(kafka().isRunning()).isFalse();
    kafka().start();

    assertThat(kafka().isRunning()).isTrue();
    assertThat(values(KafkaIo.consume(kafka().bootstrapServers(), "contract-stop", 1)))
        .containsExactly("a");
  }

  static List<String> values(List<ConsumerRecord<byte[], byte[]>> records) {
    return records.stream().map(r -> new String(r.value(), UTF_8)).toList();
  }
}
