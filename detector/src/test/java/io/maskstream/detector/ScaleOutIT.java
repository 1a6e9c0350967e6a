package io.maskstream.detector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.detector.DetectorItKit.EventsPerFrame;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.Masks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two detectors with the same application id share a four-partition frames topic fed by eight
 * cameras; one, in its own JVM, is killed with SIGKILL while it is processing its cameras and the
 * other takes over its partitions. Every frame ends with exactly one detections and one masks event
 * for read_committed consumers, and the cameras that moved keep their tracks.
 */
class ScaleOutIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  private static final String APPLICATION_ID = "detector-it4";
  private static final int PARTITIONS = 4;
  private static final int CAMERAS = 8;
  private static final int FRAMES_PER_CAMERA_AND_BATCH = 5;
  private static final int FRAMES = 2 * CAMERAS * FRAMES_PER_CAMERA_AND_BATCH;

  @Test
  void survivorTakesOverTheKilledDetectorsCamerasWithNothingLostOrDuplicated(@TempDir Path dir)
      throws Exception {
    String bootstrap = kafka.bootstrapServers();
    TopicNames topics = DetectorItKit.createTopics(bootstrap, "it4", PARTITIONS);
    // a dead member leaves the group, and its open transaction is aborted, within seconds
    Properties survivorClient = DetectorItKit.client(bootstrap);
    survivorClient.put("state.dir", dir.resolve("state-survivor").toString());
    survivorClient.put("consumer.session.timeout.ms", "10000");
    survivorClient.put("producer.transaction.timeout.ms", "15000");
    Path victimConfig =
        DetectorItKit.processConfig(
            dir.resolve("victim.properties"), topics, dir.resolve("state-victim"));
    DetectorConfig config =
        DetectorItKit.config(topics, APPLICATION_ID, survivorClient).toBuilder()
            .tracker(DetectorItKit.FIXTURE_TRACKING)
            .build();
    byte[] jpeg = TestFrames.jpeg("image1.png"); // one object the fixture model is sure enough of
    Map<String, Integer> detections;
    Map<String, Integer> masks;
    Path victimLog = dir.resolve("victim.log");

    Process victim =
        DetectorItKit.startDetector(
            bootstrap,
            APPLICATION_ID,
            victimConfig,
            victimLog,
            "--mode",
            "complete",
            DetectorItKit.FIXTURE_TRACKING_ARGS[0],
            DetectorItKit.FIXTURE_TRACKING_ARGS[1]);
    try (DetectorService survivor = DetectorService.start(config);
        EventsPerFrame<Detections> detReader =
            new EventsPerFrame<>(
                bootstrap, topics.detections(), Detections.class, Detections::getFrame);
        EventsPerFrame<Masks> maskReader =
            new EventsPerFrame<>(bootstrap, topics.masks(), Masks.class, Masks::getFrame);
        KafkaProducer<String, byte[]> producer = producer()) {
      detections = detReader.counts();
      masks = maskReader.counts();
      // both detectors hold partitions
      await()
          .atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                if (!victim.isAlive()) {
                  throw new AssertionError(
                      "the second detector exited: " + Files.readString(victimLog));
                }
                int held = survivor.activeFramePartitions().size();
                return survivor.state() == KafkaStreams.State.RUNNING
                    && held > 0
                    && held < PARTITIONS;
              });
      Set<Integer> victimPartitions = new HashSet<>(Set.of(0, 1, 2, 3));
      victimPartitions.removeAll(survivor.activeFramePartitions());

      send(producer, topics.frames(), jpeg, 0);
      try {
        // the victim is processing its cameras
        await()
            .atMost(Duration.ofMinutes(3))
            .pollInterval(Duration.ofMillis(100))
            .until(
                () -> {
                  detReader.collect();
                  return detections.keySet().stream()
                          .filter(k -> victimPartitions.contains(partitionOf(k)))
                          .count()
                      >= 2;
                });
      } finally {
        victim.destroyForcibly(); // SIGKILL: no close, no commit, an open transaction
        victim.waitFor();
      }
      send(producer, topics.frames(), jpeg, FRAMES_PER_CAMERA_AND_BATCH);

      await()
          .atMost(Duration.ofMinutes(4))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                detReader.collect();
                maskReader.collect();
                return detections.size() >= FRAMES && masks.size() >= FRAMES;
              });
      assertThat(survivor.activeFramePartitions()).containsExactly(0, 1, 2, 3);
      // anything duplicated would be committed by now
      Thread.sleep(3000);
      detReader.collect();
      maskReader.collect();
    } finally {
      if (victim.isAlive()) {
        victim.destroyForcibly();
        victim.waitFor();
      }
    }
    Set<String> expected = new HashSet<>();
    for (int c = 0; c < CAMERAS; c++) {
      for (int s = 0; s < 2 * FRAMES_PER_CAMERA_AND_BATCH; s++) {
        expected.add(camera(c) + "/" + s);
      }
    }
    assertThat(detections.keySet()).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(detections.values()).as("detections events per frame").containsOnly(1);
    assertThat(masks.keySet()).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(masks.values()).as("masks events per frame").containsOnly(1);
    // the cameras that moved kept their tracks
    DetectorItKit.assertTracksContinue(kafka.bootstrapServers(), topics, FRAMES);
  }

  private static String camera(int index) {
    return "cam-" + index;
  }

  /** Camera {@code cam-i} is written to partition {@code i % 4}. */
  private static int partitionOf(String frame) {
    String camera = frame.substring(0, frame.indexOf('/'));
    return Integer.parseInt(camera.substring("cam-".length())) % PARTITIONS;
  }

  /** Sends one batch: every camera's next frames, each camera to its own partition. */
  private static void send(
      KafkaProducer<String, byte[]> producer, String topic, byte[] jpeg, int firstSequence)
      throws Exception {
    List<Future<RecordMetadata>> acks = new ArrayList<>();
    for (int s = firstSequence; s < firstSequence + FRAMES_PER_CAMERA_AND_BATCH; s++) {
      for (int c = 0; c < CAMERAS; c++) {
        byte[] value = TestFrames.bytes(TestFrames.frame(camera(c), s, Instant.now(), jpeg));
        acks.add(producer.send(new ProducerRecord<>(topic, c % PARTITIONS, camera(c), value)));
      }
    }
    for (Future<RecordMetadata> ack : acks) {
      ack.get();
    }
  }

  private static KafkaProducer<String, byte[]> producer() {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 * 1024 * 1024);
    return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
  }
}
