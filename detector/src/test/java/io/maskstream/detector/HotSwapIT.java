package io.maskstream.detector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.detector.model.OnnxMaskRcnn;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.avro.DeadLetter;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.models.ModelStore;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Models published while frames flow: refused when bad, swapped without a failed frame. */
class HotSwapIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  @Test
  void publishedModelIsSwappedInUnderLoadAndBadModelsAreRefused(@TempDir Path dir)
      throws Exception {
    TopicNames topics = DetectorItKit.createTopics(kafka.bootstrapServers(), "it3", 2);
    Properties client = DetectorItKit.client(kafka.bootstrapServers());
    Path clientFile =
        Files.write(dir.resolve("client.properties"), DetectorItKit.topicLines(topics));
    byte[] original = Files.readAllBytes(Fixtures.model());
    byte[] v2 = withMetadata(original, "maskstream.note", "retrained");
    Path v2File = Files.write(dir.resolve("shapes-torchvision.onnx"), v2);
    String v1Version = OnnxMaskRcnn.sha256Hex(original).substring(0, 12);
    String v2Version = OnnxMaskRcnn.sha256Hex(v2).substring(0, 12);

    DetectorConfig config = DetectorItKit.config(topics, "detector-it3", client);
    byte[] jpeg = TestFrames.jpeg("image2.png");
    int frames = 0;
    AvroSerde<Detections> serde = new AvroSerde<>(Detections.class);
    Map<String, List<String>> versionsPerCamera = new LinkedHashMap<>();
    int events = 0;
    try (DetectorService service = DetectorService.start(config);
        KafkaConsumer<String, byte[]> reader =
            TestFrames.committedReader(kafka.bootstrapServers(), topics.detections())) {
      // a truncated model and an announcement whose file does not match its sha256: both refused
      byte[] truncated = java.util.Arrays.copyOf(original, original.length / 2);
      ModelStore store = new ModelStore(client, ModelStore.topicFor(topics.models()));
      announce(topics, "shapes-torchvision", truncated, store.put(truncated), null);
      announce(topics, "shapes-torchvision", v2, store.put(original), OnnxMaskRcnn.sha256Hex(v2));
      for (int round = 0; round < 3; round++) {
        frames += sendFrames(topics.frames(), frames, jpeg);
        Thread.sleep(1500);
      }
      assertThat(service.segmenter().model().version()).isEqualTo(v1Version);

      frames += sendFrames(topics.frames(), frames, jpeg);
      int exit =
          new CommandLine(new PublishCommand())
              .execute(
                  "--model",
                  v2File.toString(),
                  "--bootstrap",
                  kafka.bootstrapServers(),
                  "--kafka-config",
                  clientFile.toString());
      assertThat(exit).isZero();
      for (int round = 0; round < 4; round++) {
        frames += sendFrames(topics.frames(), frames, jpeg);
        Thread.sleep(500);
      }
      await()
          .atMost(Duration.ofMinutes(2))
          .until(() -> service.segmenter().model().version().equals(v2Version));
      frames += sendFrames(topics.frames(), frames, jpeg);
      int expected = frames;
      List<Detections> seen = new ArrayList<>();
      await()
          .atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                seen.addAll(TestFrames.poll(reader, r -> serde.deserialize(r.topic(), r.value())));
                return seen.size() >= expected;
              });
      events = seen.size();
      seen.sort(
          java.util.Comparator.comparing((Detections d) -> d.getFrame().getCamera())
              .thenComparing(d -> d.getFrame().getSequence()));
      for (Detections d : seen) {
        versionsPerCamera
            .computeIfAbsent(d.getFrame().getCamera(), c -> new ArrayList<>())
            .add(d.getModel().getVersion());
      }
      assertThat(service.metrics().failedCount("gate") + service.metrics().failedCount("lobby"))
          .isZero();
    }
    assertThat(events).isEqualTo(frames);
    for (Map.Entry<String, List<String>> e : versionsPerCamera.entrySet()) {
      List<String> versions = e.getValue();
      assertThat(versions).containsOnly(v1Version, v2Version);
      int switches = 0;
      for (int i = 1; i < versions.size(); i++) {
        if (!versions.get(i).equals(versions.get(i - 1))) {
          switches++;
        }
      }
      assertThat(switches).as("version switch points of camera %s", e.getKey()).isEqualTo(1);
      assertThat(versions.get(0)).isEqualTo(v1Version);
      assertThat(versions.get(versions.size() - 1)).isEqualTo(v2Version);
    }
    try (KafkaConsumer<String, byte[]> dlq =
        TestFrames.committedReader(kafka.bootstrapServers(), topics.deadLetters())) {
      AvroSerde<DeadLetter> letters = new AvroSerde<>(DeadLetter.class);
      assertThat(TestFrames.poll(dlq, r -> letters.deserialize(r.topic(), r.value()))).isEmpty();
    }
  }

  private static int sendFrames(String topic, int from, byte[] jpeg) throws Exception {
    return DetectorItKit.sendGateAndLobby(kafka.bootstrapServers(), topic, from, 6, jpeg);
  }

  private static void announce(
      TopicNames topics, String name, byte[] model, String location, String claimedSha)
      throws Exception {
    DetectorItKit.announce(
        kafka.bootstrapServers(),
        topics,
        DetectorItKit.announcement(name, model, location, claimedSha).build());
  }

  /** The same ONNX model with one more metadata entry: a new version with the same weights. */
  static byte[] withMetadata(byte[] onnx, String key, String value) {
    // ModelProto.metadata_props is field 14; appended protobuf fields merge into the message
    ByteArrayOutputStream entry = new ByteArrayOutputStream();
    field(entry, 1, key.getBytes(StandardCharsets.UTF_8));
    field(entry, 2, value.getBytes(StandardCharsets.UTF_8));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(onnx);
    field(out, 14, entry.toByteArray());
    return out.toByteArray();
  }

  private static void field(ByteArrayOutputStream out, int number, byte[] bytes) {
    varint(out, (number << 3) | 2);
    varint(out, bytes.length);
    out.writeBytes(bytes);
  }

  private static void varint(ByteArrayOutputStream out, int v) {
    while ((v & ~0x7f) != 0) {
      out.write((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    out.write(v);
  }
}
