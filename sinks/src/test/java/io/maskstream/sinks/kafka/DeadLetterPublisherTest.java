package io.maskstream.sinks.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

class DeadLetterPublisherTest {
  private static ConsumerRecord<byte[], byte[]> record(long offset) {
    return new ConsumerRecord<>(
        "maskstream.detections",
        0,
        offset,
        "gate".getBytes(StandardCharsets.UTF_8),
        new byte[] {1, 2, 3});
  }

  @Test
  void aFailedEarlierSendStopsTheFlushEvenWhenTheLastOneSucceeded() {
    MockProducer<byte[], byte[]> producer =
        new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
    try (DeadLetterPublisher dlq =
        new DeadLetterPublisher(producer, Map.of(), "maskstream.dlq", "sink-test")) {
      dlq.send(record(1), "bad one", null);
      dlq.send(record(2), "bad two", null);
      producer.errorNext(new RecordTooLargeException("too large"));
      producer.completeNext();
      assertThatThrownBy(dlq::flush)
          .isInstanceOf(KafkaException.class)
          .hasMessageContaining("maskstream.dlq")
          .hasCauseInstanceOf(RecordTooLargeException.class);
      // the failure is reported once; later dead letters that go through flush cleanly
      dlq.send(record(3), "bad three", null);
      dlq.flush();
      assertThat(producer.history()).hasSize(3);
    }
  }

  @Test
  void flushPassesWhenEveryDeadLetterWasWritten() {
    MockProducer<byte[], byte[]> producer =
        new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    try (DeadLetterPublisher dlq =
        new DeadLetterPublisher(producer, Map.of(), "maskstream.dlq", "sink-test")) {
      dlq.send(record(1), "bad\nreason", null);
      dlq.flush();
      assertThat(producer.history()).hasSize(1);
    }
  }
}
