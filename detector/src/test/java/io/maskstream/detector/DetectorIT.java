package io.maskstream.detector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.avro.DeadLetter;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.Masks;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The detector with the real model on the embedded broker. */
class DetectorIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  @Test
  void framesInEventsOutCountsEqualAndBadRecordsToTheDeadLetterTopic() throws Exception {
    TopicNames topics = DetectorItKit.createTopics(kafka.bootstrapServers(), "it1", 2);
    Properties client = DetectorItKit.client(kafka.bootstrapServers());
    byte[] jpeg = TestFrames.jpeg("image1.png");
    List<String> keys = new ArrayList<>();
    List<byte[]> values = new ArrayList<>();
    int good = 0;
    for (int i = 0; i < 12; i++) {
      String camera = i % 2 == 0 ? "gate" : "lobby";
      keys.add(camera);
      values.add(TestFrames.bytes(TestFrames.frame(camera, i, Instant.now(), jpeg)));
      good++;
    }
    keys.add("gate");
    values.add(
        TestFrames.bytes(
            TestFrames.frame("gate", 100, Instant.now(), Arrays.copyOf(jpeg, jpeg.length / 3))));
    keys.add("gate");
    values.add(TestFrames.bytes(TestFrames.frame("gate", 101, Instant.now(), new byte[0])));
    keys.add("lobby");
    values.add(new byte[] {0x42, 0x41, 0x44});
    TestFrames.send(kafka.bootstrapServers(), topics.frames(), keys, values);

    DetectorConfig config = DetectorItKit.config(topics, "detector-it1", client);
    AvroSerde<Detections> detSerde = new AvroSerde<>(Detections.class);
    AvroSerde<Masks> maskSerde = new AvroSerde<>(Masks.class);
    AvroSerde<DeadLetter> dlqSerde = new AvroSerde<>(DeadLetter.class);
    List<Detections> dets = new ArrayList<>();
    List<Masks> masks = new ArrayList<>();
    List<DeadLetter> letters = new ArrayList<>();
    try (DetectorService service = DetectorService.start(config);
        KafkaConsumer<String, byte[]> detReader =
            TestFrames.committedReader(kafka.bootstrapServers(), topics.detections());
        KafkaConsumer<String, byte[]> maskReader =
            TestFrames.committedReader(kafka.bootstrapServers(), topics.masks());
        KafkaConsumer<String, byte[]> dlqReader =
            TestFrames.committedReader(kafka.bootstrapServers(), topics.deadLetters())) {
      int expected = good;
      await()
          .atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                dets.addAll(
                    TestFrames.poll(detReader, r -> detSerde.deserialize(r.topic(), r.value())));
                masks.addAll(
                    TestFrames.poll(maskReader, r -> maskSerde.deserialize(r.topic(), r.value())));
                letters.addAll(
                    TestFrames.poll(dlqReader, r -> dlqSerde.deserialize(r.topic(), r.value())));
                return dets.size() >= expected && masks.size() >= expected && letters.size() >= 3;
              });
      // nothing more arrives
      Thread.sleep(1000);
      dets.addAll(TestFrames.poll(detReader, r -> detSerde.deserialize(r.topic(), r.value())));
      letters.addAll(TestFrames.poll(dlqReader, r -> dlqSerde.deserialize(r.topic(), r.value())));
      assertThat(service.scrape()).contains("maskstream_detector_frames_processed_total");
    }
    assertThat(dets).hasSize(good);
    assertThat(masks).hasSize(good);
    Set<String> frames = new HashSet<>();
    for (Detections d : dets) {
      frames.add(d.getFrame().getCamera() + "/" + d.getFrame().getSequence());
      assertThat(d.getModel().getName()).isEqualTo("shapes-torchvision");
      assertThat(d.getFrame().getWidth()).isEqualTo(320);
      assertThat(d.getTimings().getInferenceMs()).isPositive();
    }
    assertThat(frames).hasSize(good);
    assertThat(dets).anyMatch(d -> !d.getDetections().isEmpty());
    for (Masks m : masks) {
      Detections d =
          dets.stream().filter(x -> x.getFrame().equals(m.getFrame())).findFirst().orElseThrow();
      assertThat(m.getMasks()).hasSameSizeAs(d.getDetections());
    }
    assertThat(letters).hasSize(3);
    assertThat(letters.stream().map(DeadLetter::getReason))
        .anyMatch(r -> r.contains("gate/100") && r.contains("does not decode"))
        .anyMatch(r -> r.contains("gate/101") && r.contains("no image"))
        .anyMatch(r -> r.startsWith("undecodable frame record"));
  }
}
