package io.maskstream.sinks.kafka;

import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.Topics;
import io.maskstream.schemas.avro.DeadLetter;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends records a sink cannot use to the dead-letter topic, with their original bytes, where they
 * came from and a one-line reason.
 *
 * <p>Owns one Kafka producer; not thread-safe beyond what the producer is. Callers {@link #flush()}
 * before committing the offsets of the refused records, so a refused record is never lost. Close it
 * when the sink stops.
 */
public final class DeadLetterPublisher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DeadLetterPublisher.class);

  private final Producer<byte[], byte[]> producer;
  private final AvroSerde<DeadLetter> serde;
  private final String topic;
  private final String stage;
  private final AtomicReference<Exception> failure = new AtomicReference<>();

  /**
   * A publisher for {@code stage} (e.g. {@code sink-web}) writing to {@code topic}.
   *
   * @param clientProperties Kafka client properties (security settings, registry URL, ...)
   */
  public DeadLetterPublisher(Map<String, Object> clientProperties, String topic, String stage) {
    this(producer(clientProperties, stage), clientProperties, topic, stage);
  }

  private static Producer<byte[], byte[]> producer(
      Map<String, Object> clientProperties, String stage) {
    Map<String, Object> props = SinkClients.producerProperties(clientProperties);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    // a dead letter carries the refused record, which may be a full frame
    props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_DEAD_LETTER_BYTES + 64 * 1024);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "maskstream-" + stage + "-dlq");
    return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** A publisher sending through {@code producer}, which it owns from now on. */
  DeadLetterPublisher(
      Producer<byte[], byte[]> producer,
      Map<String, Object> clientProperties,
      String topic,
      String stage) {
    this.producer = producer;
    this.serde = new AvroSerde<>(DeadLetter.class, clientProperties, false);
    this.topic = topic;
    this.stage = stage;
  }

  /** Sends {@code record} with {@code reason}; {@code cause} may be null. */
  public void send(ConsumerRecord<byte[], byte[]> record, String reason, Throwable cause) {
    Map<String, ByteBuffer> headers = new HashMap<>();
    for (Header header : record.headers()) {
      headers.put(
          header.key(), ByteBuffer.wrap(header.value() == null ? new byte[0] : header.value()));
    }
    DeadLetter letter =
        DeadLetter.newBuilder()
            .setSourceTopic(record.topic())
            .setSourcePartition(record.partition())
            .setSourceOffset(record.offset())
            .setKey(record.key() == null ? null : ByteBuffer.wrap(record.key()))
            .setValue(record.value() == null ? null : ByteBuffer.wrap(record.value()))
            .setStage(stage)
            .setReason(oneLine(reason))
            .setErrorType(cause == null ? null : cause.getClass().getName())
            .setFailedTime(Instant.now())
            .setHeaders(headers)
            .build();
    LOG.warn(
        "{}-{}@{} to the dead-letter topic: {}",
        record.topic(),
        record.partition(),
        record.offset(),
        letter.getReason());
    producer.send(
        new ProducerRecord<>(topic, record.key(), serde.serialize(topic, letter)),
        (metadata, e) -> {
          if (e != null) {
            failure.compareAndSet(null, e);
          }
        });
  }

  /**
   * Waits until every dead letter sent so far is acknowledged.
   *
   * @throws KafkaException when any of them could not be written since the last flush (the caller
   *     must not commit offsets: the refused records are read again)
   */
  public void flush() {
    producer.flush();
    Exception e = failure.getAndSet(null);
    if (e != null) {
      throw new KafkaException("could not write to dead-letter topic " + topic, e);
    }
  }

  private static String oneLine(String reason) {
    String text = reason == null ? "unknown reason" : reason;
    return text.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
  }

  /**
   * Closes the producer, waiting at most {@link SinkClients#CLOSE_TIMEOUT} for records still in
   * flight (the sinks flush before they commit offsets, so an unsent dead letter's source record is
   * read again on the next start).
   */
  @Override
  public void close() {
    producer.close(SinkClients.CLOSE_TIMEOUT);
  }
}
