package io.maskstream.ingest;

import static io.maskstream.ingest.IngestItSupport.assertLiveFrames;
import static io.maskstream.ingest.IngestItSupport.createTopic;
import static io.maskstream.ingest.IngestItSupport.freePort;
import static io.maskstream.ingest.IngestItSupport.live;
import static io.maskstream.ingest.IngestItSupport.sender;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.ingest.IngestItSupport.TopicReader;
import io.maskstream.ingest.metrics.CameraMetrics.DropReason;
import io.maskstream.ingest.metrics.CameraState;
import io.maskstream.schemas.avro.Frame;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Live streams from Debian's ffmpeg through ingest into the embedded Kafka. */
class IngestIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();
  @TempDir static Path dir;
  static Path clip;

  @BeforeAll
  static void clip() throws Exception {
    // 4 s at 25 fps, looped by the senders
    clip = TestClips.video(dir.resolve("camera.mp4"), 320, 240, 25, 100);
  }

  @Test
  void udpAndHttpCamerasRecoverWhenTheSenderRestarts() throws Exception {
    String topic = "it.frames.live";
    createTopic(kafka, topic);
    int udpPort = freePort();
    int httpPort = freePort();
    int tsPort = freePort();
    Path log = dir.resolve("ffmpeg-live.log");
    FfmpegSender udp = FfmpegSender.udp(clip, udpPort, log).start();
    FfmpegSender http = FfmpegSender.httpMjpeg(clip, httpPort, log).start();
    FfmpegSender ts = FfmpegSender.httpMpegTs(clip, tsPort, log).start();
    IngestConfig config =
        new IngestConfig(
            List.of(
                live("udp-cam", "udp://127.0.0.1:" + udpPort),
                live("http-cam", "http://127.0.0.1:" + httpPort + "/camera.mjpg"),
                live("ts-cam", "http://127.0.0.1:" + tsPort + "/camera.ts")),
            0,
            Duration.ofSeconds(5),
            4);
    try (LogCapture logs = new LogCapture();
        udp;
        http;
        ts;
        IngestService service = IngestService.start(config, sender(kafka, topic));
        TopicReader reader = new TopicReader(kafka, topic)) {
      await()
          .atMost(Duration.ofSeconds(90))
          .pollInSameThread()
          .untilAsserted(
              () -> {
                assertThat(reader.frames("udp-cam")).hasSizeGreaterThan(10);
                assertThat(reader.frames("http-cam")).hasSizeGreaterThan(10);
                assertThat(reader.frames("ts-cam")).hasSizeGreaterThan(10);
              });
      assertLiveFrames(reader.frames("udp-cam"), "udp-cam");
      assertLiveFrames(reader.frames("http-cam"), "http-cam");
      assertLiveFrames(reader.frames("ts-cam"), "ts-cam");

      HttpResponse<String> metrics =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + service.metricsPort() + "/metrics"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body())
          .contains("maskstream_ingest_frames_sent_total{camera=\"udp-cam\"}")
          .contains("maskstream_ingest_camera_up{camera=\"http-cam\"} 1");

      // the senders stop: the read timeout marks both cameras down
      udp.stop();
      http.stop();
      ts.stop();
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                assertThat(service.metrics("udp-cam").state()).isNotEqualTo(CameraState.STREAMING);
                assertThat(service.metrics("http-cam").state()).isNotEqualTo(CameraState.STREAMING);
                assertThat(service.metrics("ts-cam").state()).isNotEqualTo(CameraState.STREAMING);
              });
      long udpBefore = reader.frames("udp-cam").size();
      long httpBefore = reader.frames("http-cam").size();
      long tsBefore = reader.frames("ts-cam").size();
      long tsReconnects = service.metrics("ts-cam").reconnectCount();
      // a few failed attempts while nobody sends
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> service.metrics("ts-cam").reconnectCount() >= tsReconnects + 2);
      udp.start();
      http.start();
      ts.start();
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInSameThread()
          .untilAsserted(
              () -> {
                assertThat(reader.frames("udp-cam")).hasSizeGreaterThan((int) udpBefore + 10);
                assertThat(reader.frames("http-cam")).hasSizeGreaterThan((int) httpBefore + 10);
                assertThat(reader.frames("ts-cam")).hasSizeGreaterThan((int) tsBefore + 10);
              });
      assertThat(logs.matching("camera udp-cam: streaming again")).hasSize(1);
      assertThat(logs.matching("camera http-cam: streaming again")).isNotEmpty();
      assertThat(logs.matching("camera ts-cam: streaming again")).isNotEmpty();
      assertThat(service.metrics("udp-cam").reconnectCount()).isPositive();
      assertThat(service.metrics("http-cam").reconnectCount()).isPositive();
      assertThat(service.metrics("ts-cam").reconnectCount()).isPositive();
      assertThat(service.metrics("udp-cam").state()).isEqualTo(CameraState.STREAMING);
      // sequence numbers go on across reconnects
      assertLiveFrames(reader.frames("udp-cam"), "udp-cam");
      assertLiveFrames(reader.frames("http-cam"), "http-cam");
      assertLiveFrames(reader.frames("ts-cam"), "ts-cam");
    }
  }

  @Test
  void brokerOutageLosesABoundedNumberOfFramesAndIngestResumes() throws Exception {
    String topic = "it.frames.outage";
    createTopic(kafka, topic);
    int port = freePort();
    IngestConfig config =
        new IngestConfig(
            List.of(live("cam", "udp://127.0.0.1:" + port)), -1, Duration.ofSeconds(5), 4);
    try (LogCapture logs = new LogCapture();
        FfmpegSender udp = FfmpegSender.udp(clip, port, dir.resolve("ffmpeg-outage.log")).start();
        IngestService service = IngestService.start(config, sender(kafka, topic));
        TopicReader reader = new TopicReader(kafka, topic)) {
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInSameThread()
          .untilAsserted(() -> assertThat(reader.frames("cam")).hasSizeGreaterThan(10));

      kafka.stop();
      long outageStart = System.nanoTime();
      int maxPending = 0;
      while (System.nanoTime() - outageStart < Duration.ofSeconds(6).toNanos()) {
        maxPending = Math.max(maxPending, service.pendingFrames());
        Thread.sleep(100);
      }
      kafka.start();
      long sequenceAtRestart =
          service.metrics("cam").grabbedCount(); // grabbing went on during the outage
      assertThat(sequenceAtRestart).isPositive();
      // one camera: at most 4 in flight + 1 waiting, however long the outage
      assertThat(maxPending).isLessThanOrEqualTo(5);

      await()
          .atMost(Duration.ofSeconds(90))
          .pollInSameThread()
          .untilAsserted(
              () -> {
                List<Frame> frames = reader.frames("cam");
                long sentAfter = service.metrics("cam").sentCount();
                assertThat(sentAfter).isGreaterThan(frames.size() / 2);
                assertThat(service.metrics("cam").droppedCount(DropReason.SUPERSEDED)).isPositive();
                assertThat(frames).hasSizeGreaterThan(40);
              });
      // each change of Kafka's state is logged once
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(logs.matching("Kafka takes frames again")).hasSize(1));
      assertThat(logs.matching("Kafka has acknowledged no frame")).hasSize(1);
      List<Frame> frames = reader.frames("cam");
      // idempotent producer: no duplicates, order kept, a gap where frames were superseded
      assertLiveFrames(frames, "cam");
      List<Long> gaps = new ArrayList<>();
      for (int i = 1; i < frames.size(); i++) {
        gaps.add(frames.get(i).getSequence() - frames.get(i - 1).getSequence());
      }
      assertThat(gaps.stream().mapToLong(Long::longValue).max().orElse(0)).isGreaterThan(1);
    }
  }

  @Test
  void commandCreatesTheTopicAndPublishesAFileUntilItsEnd() throws Exception {
    Path props =
        Files.writeString(
            dir.resolve("client.properties"), "maskstream.topic.frames=it.cmd.frames\n");
    int exit =
        new CommandLine(new IngestCommand())
            .execute(
                "--camera",
                "file=" + clip,
                "--camera",
                "mpegts=" + TestClips.video(dir.resolve("short.ts"), 320, 240, 25, 25),
                "--fps",
                "5",
                "--no-realtime",
                "--max-width",
                "160",
                "--metrics-port",
                "-1",
                "--bootstrap",
                kafka.bootstrapServers(),
                "--kafka-config",
                props.toString());
    assertThat(exit).isZero();
    try (TopicReader reader = new TopicReader(kafka, "it.cmd.frames")) {
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInSameThread()
          .untilAsserted(() -> assertThat(reader.frames("file")).hasSize(20));
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInSameThread()
          .untilAsserted(() -> assertThat(reader.frames("mpegts")).hasSize(5));
      List<Frame> frames = reader.frames("file");
      assertThat(frames)
          .extracting(Frame::getSequence)
          .isEqualTo(java.util.stream.LongStream.range(0, 20).boxed().collect(Collectors.toList()));
      assertThat(frames).allSatisfy(f -> assertThat(f.getWidth()).isEqualTo(160));
    }
  }
}
