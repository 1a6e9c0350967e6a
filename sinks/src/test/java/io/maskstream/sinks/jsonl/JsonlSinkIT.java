package io.maskstream.sinks.jsonl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.schemas.avro.DeadLetter;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.Masks;
import io.maskstream.sinks.EventSamples;
import io.maskstream.sinks.SinkConfig;
import io.maskstream.sinks.SinkRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class JsonlSinkIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  private static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void topics() {
    EventSamples.createTopics(kafka);
  }

  private static SinkConfig config(String group) {
    return SinkConfig.of(EventSamples.clientProperties(kafka.bootstrapServers()), group, -1)
        .withJoinTimeout(Duration.ofSeconds(1));
  }

  private static List<Path> files(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList();
    }
  }

  private static List<JsonNode> lines(Path dir) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (Path f : files(dir)) {
      for (String line : Files.readAllLines(f)) {
        if (!line.isBlank()) {
          out.add(JSON.readTree(line));
        }
      }
    }
    return out;
  }

  /** The lines of the first test's cameras (the group also reads what other tests fed). */
  private static List<JsonNode> ours(List<JsonNode> lines) {
    return lines.stream()
        .filter(
            l ->
                l.get("camera").asText().startsWith("cam-")
                    || l.get("camera").asText().equals("lonely"))
        .toList();
  }

  @Test
  void writesOneCocoObjectPerFrameRotatesBySizeAndCommitsWhatItWrote(@TempDir Path dir)
      throws Exception {
    SinkConfig.Jsonl jsonl = new SinkConfig.Jsonl(dir, 4096, Duration.ofHours(1), "frames");
    Map<String, Detections> fed = new HashMap<>();
    Map<String, Masks> fedMasks = new HashMap<>();
    try (EventSamples samples = new EventSamples(kafka.bootstrapServers());
        SinkRun run = new SinkRun(new JsonlSink(config("jsonl-a"), jsonl), "jsonl-a")) {
      for (int cam = 0; cam < 3; cam++) {
        for (long seq = 0; seq < 20; seq++) {
          String camera = "cam-" + cam;
          int n = (int) (seq % 3);
          Detections d = EventSamples.detections(camera, seq, "v1", n, "person");
          Masks m = EventSamples.masks(camera, seq, "v1", n);
          fed.put(camera + "/" + seq, d);
          fedMasks.put(camera + "/" + seq, m);
          if (seq % 2 == 0) {
            samples.send(d);
            samples.send(m);
          } else {
            samples.send(m);
            samples.send(d);
          }
        }
      }
      // detections whose masks never come: written after the join timeout, masks_missing
      samples.send(EventSamples.detections("lonely", 7, "v1", 1, "dog"));
      // bytes that are not an event: dead-letter topic, and the sink goes on
      samples.sendRaw(EventSamples.TOPICS.detections(), "cam-0", new byte[] {1, 2, 3});
      samples.flush();

      await()
          .atMost(Duration.ofSeconds(90))
          .untilAsserted(() -> assertThat(ours(lines(dir))).hasSize(61));
    }

    List<JsonNode> lines = ours(lines(dir));
    int total = lines(dir).size();
    Map<String, JsonNode> byFrame = new HashMap<>();
    for (JsonNode line : lines) {
      String key = line.get("camera").asText() + "/" + line.get("sequence").asLong();
      assertThat(byFrame.put(key, line)).as("one line per frame: %s", key).isNull();
    }
    for (var entry : fed.entrySet()) {
      JsonNode line = byFrame.get(entry.getKey());
      Detections d = entry.getValue();
      Masks m = fedMasks.get(entry.getKey());
      assertThat(line.get("model").get("version").asText()).isEqualTo("v1");
      assertThat(line.get("masks_missing").asBoolean()).isFalse();
      assertThat(line.get("capture_time").asText())
          .isEqualTo(d.getFrame().getCaptureTime().toString());
      assertThat(line.get("timings").get("latency_ms").asLong()).isEqualTo(40);
      JsonNode dets = line.get("detections");
      assertThat(dets).hasSize(d.getDetections().size());
      for (int i = 0; i < dets.size(); i++) {
        JsonNode det = dets.get(i);
        var box = d.getDetections().get(i).getBox();
        assertThat(det.get("image_id").asLong()).isEqualTo(d.getFrame().getSequence());
        assertThat(det.get("category_id").asInt()).isEqualTo(d.getDetections().get(i).getClassId());
        assertThat(det.get("label").asText()).isEqualTo("person");
        assertThat(det.get("score").floatValue()).isEqualTo(d.getDetections().get(i).getScore());
        assertThat(det.get("bbox").get(0).floatValue()).isEqualTo(box.getX1());
        assertThat(det.get("bbox").get(2).floatValue()).isEqualTo(box.getX2() - box.getX1());
        assertThat(det.get("bbox").get(3).floatValue()).isEqualTo(box.getY2() - box.getY1());
        assertThat(det.get("segmentation").get("size").get(0).asInt()).isEqualTo(48);
        assertThat(det.get("segmentation").get("size").get(1).asInt()).isEqualTo(64);
        assertThat(det.get("segmentation").get("counts").asText())
            .isEqualTo(m.getMasks().get(i).getRle().getCounts());
      }
    }
    JsonNode lonely = byFrame.get("lonely/7");
    assertThat(lonely.get("masks_missing").asBoolean()).isTrue();
    assertThat(lonely.get("detections").get(0).get("label").asText()).isEqualTo("dog");
    assertThat(lonely.get("detections").get(0).has("segmentation")).isFalse();

    List<Path> files = files(dir);
    assertThat(files).as("rotated by size").hasSizeGreaterThan(2);
    for (Path f : files) {
      assertThat(Files.size(f)).isLessThanOrEqualTo(4096);
    }

    List<DeadLetter> letters = EventSamples.deadLetters(kafka.bootstrapServers());
    assertThat(letters)
        .anySatisfy(
            l -> {
              assertThat(l.getStage()).isEqualTo("sink-jsonl");
              assertThat(l.getSourceTopic()).isEqualTo(EventSamples.TOPICS.detections());
              assertThat(l.getValue().array()).containsExactly(1, 2, 3);
              assertThat(l.getReason()).isNotBlank().doesNotContain("\n");
            });

    // a clean stop committed everything: the same group reads nothing again
    try (SinkRun again = new SinkRun(new JsonlSink(config("jsonl-a"), jsonl), "jsonl-a2")) {
      Thread.sleep(5000);
    }
    assertThat(lines(dir)).hasSize(total);
  }

  @Test
  void startsANewFileWhenTheCurrentOneIsOld(@TempDir Path dir) throws Exception {
    SinkConfig.Jsonl jsonl = new SinkConfig.Jsonl(dir, 1 << 20, Duration.ofSeconds(2), "aged");
    try (EventSamples samples = new EventSamples(kafka.bootstrapServers());
        SinkRun run = new SinkRun(new JsonlSink(config("jsonl-b"), jsonl), "jsonl-b")) {
      samples.send(EventSamples.detections("aging", 1, "v2", 1, "cat"));
      samples.send(EventSamples.masks("aging", 1, "v2", 1));
      samples.flush();
      await().atMost(Duration.ofSeconds(60)).until(() -> fileOf(dir, "aging", 1) != null);
      Thread.sleep(2500);
      samples.send(EventSamples.detections("aging", 2, "v2", 1, "cat"));
      samples.send(EventSamples.masks("aging", 2, "v2", 1));
      samples.flush();
      await().atMost(Duration.ofSeconds(60)).until(() -> fileOf(dir, "aging", 2) != null);
    }
    // the group also reads what other tests fed; only this camera's frames matter here
    Path first = fileOf(dir, "aging", 1);
    Path second = fileOf(dir, "aging", 2);
    assertThat(first.getFileName().toString()).startsWith("aged-");
    assertThat(second.getFileName().toString()).startsWith("aged-");
    assertThat(second).as("a file older than 2 s is closed").isNotEqualTo(first);
  }

  private static Path fileOf(Path dir, String camera, long sequence) throws IOException {
    for (Path f : files(dir)) {
      for (String line : Files.readAllLines(f)) {
        JsonNode node = JSON.readTree(line);
        if (node.get("camera").asText().equals(camera)
            && node.get("sequence").asLong() == sequence) {
          return f;
        }
      }
    }
    return null;
  }
}
