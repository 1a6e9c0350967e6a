package io.maskstream.detector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.maskstream.broker.EmbeddedKafka;
import io.maskstream.detector.DetectorItKit.EventsPerFrame;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.avro.Detections;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A detector started while its Kafka is away (a broker that restarts, or that starts after it)
 * waits for Kafka instead of exiting, longer than one admin timeout, and detects once Kafka is up.
 */
class DetectorBeforeKafkaIT {
  @Test
  void waitsForKafkaThenDetects(@TempDir Path dir) throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    String bootstrap = "127.0.0.1:" + port;
    TopicNames topics = TopicNames.prefixed("late");
    Path config =
        DetectorItKit.processConfig(dir.resolve("client.properties"), topics, dir.resolve("state"));
    Path log = dir.resolve("detector.log");
    long started = System.nanoTime();
    Process detector = DetectorItKit.startDetector(bootstrap, "late-detector", config, log);
    try {
      await()
          .atMost(Duration.ofSeconds(90))
          .until(() -> Files.readString(log).contains("does not answer"));
      // one admin timeout (30 s) is when it used to give up
      long waited = Duration.ofNanos(System.nanoTime() - started).toSeconds();
      Thread.sleep(Math.max(0, 35 - waited) * 1000);
      assertThat(detector.isAlive()).as(Files.readString(log)).isTrue();

      try (EmbeddedKafka kafka =
          EmbeddedKafka.builder().port(port).dataDir(dir.resolve("kafka")).build()) {
        kafka.start();
        await()
            .atMost(Duration.ofSeconds(90))
            .until(() -> Files.readString(log).contains("Kafka answers"));
        DetectorItKit.sendGateAndLobby(
            bootstrap, topics.frames(), 0, 4, TestFrames.jpeg("image1.png"));
        try (EventsPerFrame<Detections> detections =
            new EventsPerFrame<>(
                bootstrap, topics.detections(), Detections.class, Detections::getFrame)) {
          await()
              .atMost(Duration.ofMinutes(3))
              .pollInterval(Duration.ofMillis(200))
              .untilAsserted(
                  () -> {
                    assertThat(detector.isAlive()).as(Files.readString(log)).isTrue();
                    assertThat(detections.collect()).isEqualTo(4);
                  });
        }
      }
    } finally {
      detector.destroyForcibly().waitFor();
    }
  }
}
