package io.maskstream.ingest;

import static io.maskstream.ingest.IngestItSupport.assertLiveFrames;
import static io.maskstream.ingest.IngestItSupport.freePort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.ingest.IngestItSupport.TopicReader;
import io.maskstream.schemas.avro.Frame;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code maskstream ingest} started while Kafka is down delivers once Kafka comes up. */
class BrokerDownAtStartIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();
  @TempDir static Path dir;

  @Test
  void ingestStartsWithoutKafkaAndSendsTheNewestFramesOnceItIsUp() throws Exception {
    Path clip = TestClips.video(dir.resolve("camera.mp4"), 320, 240, 25, 100);
    Path props =
        Files.writeString(
            dir.resolve("client.properties"),
            "maskstream.topic.frames=it.startup.frames\nreconnect.backoff.max.ms=1000\n");
    int port = freePort();
    kafka.stop();
    IngestCommand command = new IngestCommand();
    ExecutorService runner = Executors.newSingleThreadExecutor();
    try (LogCapture logs = new LogCapture();
        FfmpegSender udp = FfmpegSender.udp(clip, port, dir.resolve("ffmpeg.log")).start()) {
      Future<Integer> exit =
          runner.submit(
              () ->
                  new CommandLine(command)
                      .execute(
                          "--camera",
                          "cam=udp://127.0.0.1:" + port,
                          "--fps",
                          "5",
                          "--read-timeout",
                          "2",
                          "--metrics-port",
                          "-1",
                          "--status-interval",
                          "0",
                          "--bootstrap",
                          kafka.bootstrapServers(),
                          "--kafka-config",
                          props.toString()));
      // the camera streams although nothing can be sent
      await()
          .atMost(Duration.ofSeconds(90))
          .untilAsserted(
              () -> {
                assertThat(exit).isNotDone();
                assertThat(logs.matching("camera cam: streaming")).hasSize(1);
                assertThat(logs.matching("Kafka is not reachable")).hasSize(1);
              });
      long brokerStart = System.currentTimeMillis();
      kafka.start();
      await()
          .atMost(Duration.ofSeconds(90))
          .untilAsserted(() -> assertThat(logs.matching("Kafka takes frames after")).hasSize(1));
      try (TopicReader reader = new TopicReader(kafka, "it.startup.frames")) {
        await()
            .atMost(Duration.ofSeconds(90))
            .pollInSameThread()
            .untilAsserted(() -> assertThat(reader.frames("cam")).hasSizeGreaterThan(20));
        List<Frame> frames = reader.frames("cam");
        assertLiveFrames(frames, "cam");
        Frame first = frames.get(0);
        // only the newest frame waited: the first one sent is recent, the older ones were dropped
        assertThat(first.getCaptureTime().toEpochMilli()).isGreaterThan(brokerStart - 2_000);
        assertThat(first.getSequence()).isGreaterThan(10);
        // once Kafka is up, (nearly) every frame goes through
        Frame last = frames.get(frames.size() - 1);
        assertThat(frames.size())
            .isGreaterThan((int) (last.getSequence() - first.getSequence()) / 2);
      }
      command.stop();
      assertThat(exit.get(60, TimeUnit.SECONDS)).isZero();
      // each change is said once
      assertThat(logs.matching("Kafka is not reachable")).hasSize(1);
      assertThat(logs.matching("Kafka takes frames")).hasSize(1);
      assertThat(logs.matching("Kafka has acknowledged no frame")).isEmpty();
    } finally {
      command.stop();
      runner.shutdownNow();
    }
  }
}
