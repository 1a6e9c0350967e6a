package io.maskstream.ingest.publish;

import java.time.Duration;

/** Makes Kafka ready before the first frame is sent, e.g. creates the frames topic. */
@FunctionalInterface
public interface KafkaPreparation {
  /**
   * Prepares Kafka once.
   *
   * @throws org.apache.kafka.common.KafkaException when Kafka did not answer or refused within
   *     {@code timeout}
   */
  void prepare(Duration timeout);
}
