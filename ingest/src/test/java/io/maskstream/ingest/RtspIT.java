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
import io.maskstream.ingest.metrics.CameraState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** RTSP with RTP interleaved over TCP, with Debian's ffmpeg as the peer. */
class RtspIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();
  @TempDir static Path dir;
  static Path clip;

  @BeforeAll
  static void clip() throws Exception {
    clip = TestClips.video(dir.resolve("camera.mp4"), 320, 240, 25, 100);
  }

  /**
   * Ingest listens ({@code rtsp_flags=listen}) and a camera pushes to it; the camera is restarted
   * and ingest takes it again.
   */
  @Test
  void aCameraPushingOverTcpIsTakenAgainAfterItRestarts() throws Exception {
    String topic = "it.frames.rtsp.push";
    createTopic(kafka, topic);
    String url = "rtsp://127.0.0.1:" + freePort() + "/camera";
    IngestConfig config =
        new IngestConfig(
            List.of(live("cam", url, Map.of("rtsp_flags", "listen"))), -1, Duration.ZERO, 4);
    FfmpegSender camera = FfmpegSender.rtspPush(clip, url, dir.resolve("ffmpeg-push.log"));
    try (LogCapture logs = new LogCapture();
        camera;
        IngestService service = IngestService.start(config, sender(kafka, topic));
        TopicReader reader = new TopicReader(kafka, topic)) {
      // the camera fails while ingest does not listen yet (or between two listens): retry it
      await()
          .atMost(Duration.ofSeconds(90))
          .pollInSameThread()
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(
              () -> {
                camera.startIfExited();
                assertThat(reader.frames("cam")).hasSizeGreaterThan(10);
              });
      assertLiveFrames(reader.frames("cam"), "cam");

      camera.stop();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> service.metrics("cam").state() != CameraState.STREAMING);
      int before = reader.frames("cam").size();
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInSameThread()
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(
              () -> {
                camera.startIfExited();
                assertThat(reader.frames("cam")).hasSizeGreaterThan(before + 10);
              });
      assertThat(logs.matching("camera cam: streaming again")).isNotEmpty();
      assertThat(service.metrics("cam").reconnectCount()).isPositive();
      assertLiveFrames(reader.frames("cam"), "cam");
    }
  }

  /**
   * Ingest plays a camera that serves RTSP over TCP (the usual IP camera); the camera's encoder
   * stops and comes back, and ingest reconnects.
   */
  @Test
  void aCameraServedOverTcpIsReadAgainAfterItsEncoderRestarts() throws Exception {
    String topic = "it.frames.rtsp.play";
    createTopic(kafka, topic);
    int rtspPort = freePort();
    Path sdp = dir.resolve("camera.sdp");
    IngestConfig config =
        new IngestConfig(
            List.of(live("cam", "rtsp://127.0.0.1:" + rtspPort + "/stream")), -1, Duration.ZERO, 4);
    try (LogCapture logs = new LogCapture();
        RtspTcpServer server = new RtspTcpServer(rtspPort, sdp);
        FfmpegSender encoder =
            FfmpegSender.rtp(clip, server.rtpPort(), sdp, dir.resolve("ffmpeg-rtp.log")).start();
        IngestService service = IngestService.start(config, sender(kafka, topic));
        TopicReader reader = new TopicReader(kafka, topic)) {
      await()
          .atMost(Duration.ofSeconds(90))
          .pollInSameThread()
          .untilAsserted(() -> assertThat(reader.frames("cam")).hasSizeGreaterThan(10));
      assertLiveFrames(reader.frames("cam"), "cam");
      // ingest asked for TCP only
      assertThat(server.refusedUdp()).isZero();

      int recoveries = logs.matching("camera cam: streaming again").size();
      encoder.stop();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> service.metrics("cam").state() != CameraState.STREAMING);
      int before = reader.frames("cam").size();
      int plays = server.plays();
      await().atMost(Duration.ofSeconds(60)).until(() -> server.plays() > plays);
      encoder.start();
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInSameThread()
          .untilAsserted(() -> assertThat(reader.frames("cam")).hasSizeGreaterThan(before + 10));
      assertThat(logs.matching("camera cam: streaming again")).hasSize(recoveries + 1);
      assertThat(service.metrics("cam").reconnectCount()).isPositive();
      assertThat(server.refusedUdp()).isZero();
      assertLiveFrames(reader.frames("cam"), "cam");
    }
  }
}
