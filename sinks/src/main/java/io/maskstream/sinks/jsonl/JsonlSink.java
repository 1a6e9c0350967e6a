package io.maskstream.sinks.jsonl;

import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.Masks;
import io.maskstream.sinks.Sink;
import io.maskstream.sinks.SinkConfig;
import io.maskstream.sinks.join.EventJoiner;
import io.maskstream.sinks.join.JoinedFrame;
import io.maskstream.sinks.kafka.DeadLetterPublisher;
import io.maskstream.sinks.kafka.EventDecoder;
import io.maskstream.sinks.kafka.EventDecoder.UnusableRecordException;
import io.maskstream.sinks.kafka.MetricsServer;
import io.maskstream.sinks.kafka.PendingOffsets;
import io.maskstream.sinks.kafka.SinkClients;
import io.maskstream.sinks.kafka.SinkMetrics;
import io.maskstream.sinks.kafka.StopSignal;
import io.micrometer.core.instrument.Gauge;
import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code maskstream sink jsonl}: one JSON object per frame ({@link CocoFrameJson}) appended to
 * files that rotate by size and age.
 *
 * <p>Offsets are committed only after the lines of every record up to them are forced to disk (and
 * refused records are on the dead-letter topic), so a crash never loses a line. Records read again
 * after a crash whose lines were already written are not written twice: at start the sink reads
 * back the frames of its newest files ({@link WrittenFrames}). Detections wait for their masks up
 * to the join timeout and are then written without them ({@code "masks_missing": true}); masks
 * whose detections never come go to the dead-letter topic.
 *
 * <p>Owns its consumer, dead-letter producer, file writer and metrics server from construction
 * until {@link #run()} returns.
 */
public final class JsonlSink implements Sink {
  private static final Logger LOG = LoggerFactory.getLogger(JsonlSink.class);
  private static final String STAGE = "sink-jsonl";
  private static final long COMMIT_INTERVAL_MS = 1000;

  private final SinkConfig config;
  private final SinkConfig.Jsonl jsonl;
  private final SinkMetrics metrics = new SinkMetrics("jsonl");
  private final EventDecoder decoder;
  private final EventJoiner<ConsumerRecord<byte[], byte[]>> joiner;
  private final PendingOffsets offsets = new PendingOffsets();
  private final StopSignal stop = new StopSignal();
  private KafkaConsumer<byte[], byte[]> consumer; // while run() runs, on its thread
  private volatile int metricsPort = -1;
  private DeadLetterPublisher deadLetters;
  private RotatingFileWriter writer;
  private WrittenFrames written;

  /** A sink for {@code config}, writing as {@code jsonl} says; nothing starts until run. */
  public JsonlSink(SinkConfig config, SinkConfig.Jsonl jsonl) {
    this.config = config;
    this.jsonl = jsonl;
    this.decoder = new EventDecoder(config.kafka(), config.topics(), true);
    this.joiner = new EventJoiner<>(config.joinTimeout(), 50_000);
    Gauge.builder("maskstream.sink.join.pending", joiner, EventJoiner::size)
        .description("Frames waiting for their detections or masks")
        .register(metrics.registry());
  }

  /** The metrics of this sink. */
  public SinkMetrics metrics() {
    return metrics;
  }

  /** The port of the metrics endpoint once running, -1 when off or not started. */
  public int metricsPort() {
    return metricsPort;
  }

  @Override
  public void run() throws IOException {
    SinkClients.ensureTopics(config);
    MetricsServer server = MetricsServer.startIfEnabled(metrics, config);
    if (server != null) {
      metricsPort = server.port();
    }
    try (server;
        KafkaConsumer<byte[], byte[]> c =
            SinkClients.consumer(config, "maskstream-sink-jsonl", false, 2000);
        DeadLetterPublisher dlq =
            new DeadLetterPublisher(config.kafka(), config.topics().deadLetters(), STAGE);
        RotatingFileWriter w =
            new RotatingFileWriter(
                jsonl.dir(), jsonl.filePrefix(), jsonl.maxFileBytes(), jsonl.maxFileAge())) {
      written =
          WrittenFrames.read(
              jsonl.dir(), jsonl.filePrefix(), config.joinTimeout().plus(Duration.ofMinutes(1)));
      if (written.size() > 0) {
        LOG.info(
            "{} frames written in the last {} s before the last stop ({} files): not written"
                + " again when read again",
            written.size(),
            config.joinTimeout().plus(Duration.ofMinutes(1)).toSeconds(),
            written.files());
      }
      consumer = c;
      stop.attach(c);
      deadLetters = dlq;
      writer = w;
      c.subscribe(List.of(config.topics().detections(), config.topics().masks()), new Rebalance());
      LOG.info(
          "writing frames of {} and {} to {} (group {})",
          config.topics().detections(),
          config.topics().masks(),
          jsonl.dir(),
          config.groupId());
      loop();
      commit(); // clean stop: everything read so far that is written becomes committed
    } finally {
      stop.detach();
      consumer = null;
    }
  }

  private void loop() throws IOException {
    long lastCommit = System.currentTimeMillis();
    while (!stop.stopping()) {
      try {
        long now = pollOnce();
        if (now - lastCommit >= COMMIT_INTERVAL_MS) {
          commit();
          lastCommit = now;
        }
      } catch (WakeupException e) {
        break; // stop() was called; run() commits what is durable
      }
    }
  }

  private long pollOnce() throws IOException {
    ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
    long now = System.currentTimeMillis();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      handle(record, now);
    }
    for (JoinedFrame<ConsumerRecord<byte[], byte[]>> expired : joiner.expire(now)) {
      if (expired.detections() != null) {
        write(expired, now);
      } else {
        String reason =
            "masks of camera "
                + expired.key().camera()
                + " sequence "
                + expired.key().sequence()
                + " model "
                + expired.key().modelVersion()
                + ": no detections arrived within "
                + config.joinTimeout().toSeconds()
                + " s";
        for (ConsumerRecord<byte[], byte[]> r : expired.positions()) {
          refuse(r, reason, null);
        }
      }
    }
    writer.rotateIfDue(now);
    return now;
  }

  private void handle(ConsumerRecord<byte[], byte[]> record, long now) throws IOException {
    metrics.recordRead(record.topic());
    offsets.track(new TopicPartition(record.topic(), record.partition()), record.offset());
    SpecificRecord event;
    try {
      event = decoder.decode(record);
    } catch (UnusableRecordException e) {
      refuse(record, e.getMessage(), e.getCause() != null ? e.getCause() : e);
      return;
    }
    JoinedFrame<ConsumerRecord<byte[], byte[]>> joined =
        event instanceof Detections d
            ? joiner.offer(d, record, now)
            : joiner.offer((Masks) event, record, now);
    if (joined != null) {
      write(joined, now);
    }
  }

  private void write(JoinedFrame<ConsumerRecord<byte[], byte[]>> frame, long now)
      throws IOException {
    if (written.consume(frame)) {
      // written before a crash that came before its offsets were committed
      LOG.debug(
          "{}/{} written before the last stop",
          frame.frame().getCamera(),
          frame.frame().getSequence());
    } else {
      writer.write(CocoFrameJson.format(frame), now);
      metrics.framesWritten(1);
    }
    for (ConsumerRecord<byte[], byte[]> r : frame.positions()) {
      offsets.done(new TopicPartition(r.topic(), r.partition()), r.offset());
    }
  }

  private void refuse(ConsumerRecord<byte[], byte[]> record, String reason, Throwable cause) {
    deadLetters.send(record, reason, cause);
    metrics.deadLetter();
    offsets.done(new TopicPartition(record.topic(), record.partition()), record.offset());
  }

  /** Makes written lines and dead letters durable, then commits what they cover. */
  private void commit() throws IOException {
    Map<TopicPartition, OffsetAndMetadata> committable = offsets.committable();
    if (committable.isEmpty()) {
      return;
    }
    metrics
        .batchTimer()
        .record(
            () -> {
              try {
                writer.sync();
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
              deadLetters.flush();
            });
    consumer.commitSync(committable);
    offsets.committed(committable);
  }

  @Override
  public void stop() {
    stop.stop();
  }

  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      // What waits in the joiner is not committed; the next owner reads it again.
      try {
        commit();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      joiner.clear();
      offsets.forget(partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      LOG.info("assigned {}", partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      joiner.clear();
      offsets.forget(partitions);
    }
  }
}
