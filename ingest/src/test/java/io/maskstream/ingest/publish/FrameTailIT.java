package io.maskstream.ingest.publish;

import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.Topics;
import io.maskstream.schemas.avro.CameraRunState;
import io.maskstream.schemas.avro.CameraStatus;
import io.maskstream.schemas.avro.Frame;
import io.maskstream.schemas.avro.ImageEncoding;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Where a camera's numbering goes on, read from a real broker: from the newest status report of the
 * camera, and from its frames written after the report when its owner did not stop it.
 */
class FrameTailIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  private static final TopicNames TOPICS = TopicNames.prefixed("tail-it.");
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final long NOW = System.currentTimeMillis();

  private static Properties props;

  @BeforeAll
  static void topics() throws Exception {
    props = new Properties();
    props.put("bootstrap.servers", kafka.bootstrapServers());
    try (Admin admin = Admin.create(props)) {
      Topics.ensure(
          admin,
          Topics.specs(TOPICS, Topics.DEFAULT_PARTITIONS).stream()
              .filter(
                  s -> s.name().equals(TOPICS.frames()) || s.name().equals(TOPICS.cameraStatus()))
              .toList(),
          TIMEOUT);
    }
    Map<String, Object> config = new HashMap<>();
    props.forEach((k, v) -> config.put(k.toString(), v));
    try (AvroSerde<Frame> frames = new AvroSerde<>(Frame.class);
        AvroSerde<CameraStatus> statuses = new AvroSerde<>(CameraStatus.class);
        KafkaProducer<String, byte[]> producer =
            new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
      frames.configure(config, false);
      statuses.configure(config, false);
      // stopped cleanly after frame 41; frames up to 41 on the topic
      frames(producer, frames, "stopped", 0, 41, NOW - 60_000);
      report(producer, statuses, "stopped", CameraRunState.STOPPED, 41L, NOW - 50_000);
      // died: reported frame 100 ten seconds ago, then sent up to 130 before it died
      frames(producer, frames, "died", 90, 130, NOW - 10_000);
      report(producer, statuses, "died", CameraRunState.STREAMING, 100L, NOW - 10_000);
      // an earlier life numbered up to 5000, was removed (tombstone) and added again: 0..7 since
      frames(producer, frames, "again", 4990, 5000, NOW - 600_000);
      producer.send(new ProducerRecord<>(TOPICS.cameraStatus(), "again", null));
      frames(producer, frames, "again", 0, 7, NOW - 5_000);
      report(producer, statuses, "again", CameraRunState.STREAMING, 3L, NOW - 5_000);
      // its frames before the report are older than its report: they do not count for it
      frames(producer, frames, "old-frames", 0, 900, NOW - 300_000);
      report(producer, statuses, "old-frames", CameraRunState.DOWN, 12L, NOW - 1_000);
      producer.flush();
    }
  }

  private static void frames(
      KafkaProducer<String, byte[]> producer,
      AvroSerde<Frame> serde,
      String camera,
      long first,
      long last,
      long time) {
    for (long s = first; s <= last; s++) {
      Frame frame =
          Frame.newBuilder()
              .setCamera(camera)
              .setSequence(s)
              .setCaptureTime(Instant.ofEpochMilli(time))
              .setWidth(2)
              .setHeight(2)
              .setEncoding(ImageEncoding.JPEG)
              .setPresentationTime(null)
              .setImage(ByteBuffer.wrap(new byte[] {1, 2, 3}))
              .build();
      producer.send(
          new ProducerRecord<>(
              TOPICS.frames(), null, time, camera, serde.serialize(TOPICS.frames(), frame)));
    }
  }

  private static void report(
      KafkaProducer<String, byte[]> producer,
      AvroSerde<CameraStatus> serde,
      String camera,
      CameraRunState state,
      Long lastSequence,
      long at) {
    CameraStatus status =
        CameraStatus.newBuilder()
            .setCamera(camera)
            .setOwner("host 1")
            .setState(state)
            .setLastSequence(lastSequence)
            .setReportedAt(Instant.ofEpochMilli(at))
            .build();
    producer.send(
        new ProducerRecord<>(
            TOPICS.cameraStatus(), camera, serde.serialize(TOPICS.cameraStatus(), status)));
  }

  @Test
  void numberingGoesOnAfterWhatTheTopicsHold() {
    try (FrameTail tail = new FrameTail(props, TOPICS.frames(), TOPICS.cameraStatus())) {
      Map<String, Long> next =
          tail.nextSequences(
              List.of("stopped", "died", "again", "old-frames", "never-seen"), TIMEOUT);
      assertThat(next)
          .containsEntry("stopped", 42L)
          .containsEntry("died", 131L)
          .containsEntry("again", 8L)
          .containsEntry("old-frames", 13L)
          .containsEntry("never-seen", 0L)
          .hasSize(5);
      // one camera alone reads the same
      assertThat(tail.nextSequence("died", TIMEOUT)).isEqualTo(131L);
      assertThat(tail.nextSequence("stopped", TIMEOUT)).isEqualTo(42L);
    }
  }

  @Test
  void withoutAStatusTopicEveryCameraStartsAtZero() {
    try (FrameTail tail = new FrameTail(props, TOPICS.frames(), "tail-it.no-such-topic")) {
      assertThat(tail.nextSequences(List.of("died", "stopped"), TIMEOUT))
          .containsEntry("died", 0L)
          .containsEntry("stopped", 0L);
    }
  }
}
