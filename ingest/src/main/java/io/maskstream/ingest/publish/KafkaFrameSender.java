package io.maskstream.ingest.publish;

import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.Topics;
import io.maskstream.schemas.avro.Frame;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Sends frames with a {@link KafkaProducer} keyed by camera id, the record timestamp being the
 * capture time. Owns the producer until {@link #close(Duration)}.
 *
 * <p>The producer is idempotent with {@code acks=all}, so a broker restart neither loses nor
 * duplicates an acknowledged frame, and keeps frames of one camera in order. JPEG does not
 * compress, so compression is off; {@code max.request.size} fits the largest frame the topic takes.
 * Timeouts are short so a frame that cannot be delivered in {@value #DELIVERY_TIMEOUT_MS} ms is
 * reported instead of delivered stale; client properties may change them, not the guarantees.
 */
public final class KafkaFrameSender implements RecordSender {
  /** Time after which an unacknowledged frame counts as failed. */
  public static final int DELIVERY_TIMEOUT_MS = 30_000;

  private final KafkaProducer<String, Frame> producer;
  private final String topic;

  /**
   * A sender to {@code topic} with the Kafka client {@code properties} (bootstrap servers,
   * security, {@code schema.registry.url}).
   */
  public KafkaFrameSender(Properties properties, String topic) {
    this.topic = topic;
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, DELIVERY_TIMEOUT_MS);
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    config.put(ProducerConfig.CLIENT_ID_CONFIG, "maskstream-ingest");
    config.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 256L * 1024 * 1024);
    for (String name : properties.stringPropertyNames()) {
      config.put(name, properties.getProperty(name));
    }
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
    config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_FRAME_BYTES + 64 * 1024);
    config.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
    AvroSerde<Frame> serde = new AvroSerde<>(Frame.class);
    serde.configure(config, false);
    this.producer = new KafkaProducer<>(config, new StringSerializer(), serde.serializer());
  }

  @Override
  public void send(Frame frame, Consumer<Exception> done) {
    ProducerRecord<String, Frame> record =
        new ProducerRecord<>(
            topic, null, frame.getCaptureTime().toEpochMilli(), frame.getCamera(), frame);
    try {
      producer.send(record, (metadata, exception) -> done.accept(exception));
    } catch (KafkaException e) {
      done.accept(e);
    }
  }

  @Override
  public void flush() {
    producer.flush();
  }

  @Override
  public void close(Duration timeout) {
    producer.close(timeout);
  }
}
