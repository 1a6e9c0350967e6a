package io.maskstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.ingest.IngestConfig.Camera;
import io.maskstream.ingest.publish.KafkaFrameSender;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.Topics;
import io.maskstream.schemas.avro.Frame;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/** What the ingest integration tests share: ports, cameras, topics, a reader and assertions. */
final class IngestItSupport {
  private IngestItSupport() {}

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** A live camera at 5 fps, JPEG quality 80, with a 2 s read timeout. */
  static Camera live(String id, String url) {
    return live(id, url, Map.of());
  }

  /** {@link #live(String, String)} with FFmpeg options. */
  static Camera live(String id, String url, Map<String, String> options) {
    return new Camera(id, url, 5, 0, 80, false, true, Duration.ofSeconds(2), options);
  }

  /** A frames topic with 2 partitions that takes the largest frame. */
  static void createTopic(KafkaBrokerExtension kafka, String topic) {
    kafka.createTopic(
        topic, 2, Map.of("max.message.bytes", Integer.toString(Topics.MAX_FRAME_BYTES)));
  }

  /** A sender that notices a restarted broker within a second. */
  static KafkaFrameSender sender(KafkaBrokerExtension kafka, String topic) {
    Properties props = new Properties();
    props.put("bootstrap.servers", kafka.bootstrapServers());
    props.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "1000");
    return new KafkaFrameSender(props, topic);
  }

  /**
   * Reads every partition of an existing topic from the beginning, accumulating records across
   * calls.
   */
  static final class TopicReader implements AutoCloseable {
    final KafkaConsumer<String, Frame> consumer;
    final List<ConsumerRecord<String, Frame>> records = new ArrayList<>();

    TopicReader(KafkaBrokerExtension kafka, String topic) {
      Properties props = new Properties();
      props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
      props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(16 << 20));
      consumer = new KafkaConsumer<>(props, new StringDeserializer(), new AvroSerde<>(Frame.class));
      consumer.assign(
          consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList());
      consumer.seekToBeginning(consumer.assignment());
    }

    List<Frame> frames(String camera) {
      for (var record : consumer.poll(Duration.ofMillis(200))) {
        records.add(record);
      }
      return records.stream()
          .filter(r -> r.key().equals(camera))
          .map(ConsumerRecord::value)
          .toList();
    }

    @Override
    public void close() {
      consumer.close();
    }
  }

  /**
   * Frames of one 320x240 live camera: sequence increasing without duplicates, capture times recent
   * and not going back.
   */
  static void assertLiveFrames(List<Frame> frames, String camera) {
    assertThat(frames).allSatisfy(f -> assertThat(f.getCamera()).isEqualTo(camera));
    assertThat(frames).allSatisfy(f -> assertThat(f.getWidth()).isEqualTo(320));
    assertThat(frames).allSatisfy(f -> assertThat(f.getHeight()).isEqualTo(240));
    assertThat(frames).extracting(Frame::getSequence).isSorted().doesNotHaveDuplicates();
    long now = System.currentTimeMillis();
    for (int i = 0; i < frames.size(); i++) {
      long capture = frames.get(i).getCaptureTime().toEpochMilli();
      assertThat(capture).isBetween(now - 300_000, now + 1_000);
      if (i > 0) {
        assertThat(capture)
            .isGreaterThanOrEqualTo(frames.get(i - 1).getCaptureTime().toEpochMilli());
      }
    }
  }
}
