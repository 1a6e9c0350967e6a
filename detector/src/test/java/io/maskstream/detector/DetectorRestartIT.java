package io.maskstream.detector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.Topics;
import io.maskstream.schemas.avro.Detections;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A detector process killed with SIGKILL in the middle of a stream and started again: every frame
 * has exactly one detections event for read_committed consumers.
 */
class DetectorRestartIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  private static final int FRAMES = 30;

  @Test
  void sigkillAndRestartLosesAndDuplicatesNothing(@TempDir Path dir) throws Exception {
    TopicNames topics =
        new TopicNames("it2.frames", "it2.detections", "it2.masks", "it2.models", "it2.dlq");
    Properties client = new Properties();
    client.put("bootstrap.servers", kafka.bootstrapServers());
    try (Admin admin = Admin.create(client)) {
      Topics.ensure(admin, Topics.specs(topics, 2), Duration.ofSeconds(30));
    }
    byte[] jpeg = TestFrames.jpeg("image0.png");
    List<String> keys = new ArrayList<>();
    List<byte[]> values = new ArrayList<>();
    for (int i = 0; i < FRAMES; i++) {
      String camera = i % 2 == 0 ? "gate" : "lobby";
      keys.add(camera);
      values.add(TestFrames.bytes(TestFrames.frame(camera, i, Instant.now(), jpeg)));
    }
    TestFrames.send(kafka.bootstrapServers(), topics.frames(), keys, values);

    Path config = dir.resolve("client.properties");
    Files.writeString(
        config,
        String.join(
            "\n",
            "maskstream.topic.frames=" + topics.frames(),
            "maskstream.topic.detections=" + topics.detections(),
            "maskstream.topic.masks=" + topics.masks(),
            "maskstream.topic.models=" + topics.models(),
            "maskstream.topic.dlq=" + topics.deadLetters(),
            "state.dir=" + dir.resolve("state"),
            "consumer.session.timeout.ms=10000",
            "producer.transaction.timeout.ms=15000",
            ""));
    AvroSerde<Detections> serde = new AvroSerde<>(Detections.class);
    Map<String, Integer> seen = new HashMap<>();
    try (KafkaConsumer<String, byte[]> reader =
        TestFrames.committedReader(kafka.bootstrapServers(), topics.detections())) {
      Process first = start(config, dir.resolve("first.log"));
      try {
        await()
            .atMost(Duration.ofMinutes(3))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> collect(reader, serde, seen) >= 4);
      } finally {
        first.destroyForcibly(); // SIGKILL: no close, no commit, an open transaction
        first.waitFor();
      }
      assertThat(seen.size()).isLessThan(FRAMES);
      Process second = start(config, dir.resolve("second.log"));
      try {
        await()
            .atMost(Duration.ofMinutes(4))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> collect(reader, serde, seen) >= FRAMES);
        Thread.sleep(3000);
        collect(reader, serde, seen);
      } finally {
        second.destroy();
        second.waitFor();
      }
    }
    assertThat(seen).hasSize(FRAMES);
    assertThat(seen.values()).as("events per frame").containsOnly(1);
  }

  private static int collect(
      KafkaConsumer<String, byte[]> reader,
      AvroSerde<Detections> serde,
      Map<String, Integer> seen) {
    for (Detections d : TestFrames.poll(reader, r -> serde.deserialize(r.topic(), r.value()))) {
      seen.merge(d.getFrame().getCamera() + "/" + d.getFrame().getSequence(), 1, Integer::sum);
    }
    return seen.values().stream().mapToInt(Integer::intValue).sum();
  }

  private Process start(Path config, Path log) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    return new ProcessBuilder(
            java,
            "-cp",
            System.getProperty("java.class.path"),
            DetectorProcess.class.getName(),
            "--model",
            Fixtures.model().toString(),
            "--device",
            "cpu",
            "--score-threshold",
            "0.1",
            "--application-id",
            "detector-it2",
            "--bootstrap",
            kafka.bootstrapServers(),
            "--kafka-config",
            config.toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }
}
