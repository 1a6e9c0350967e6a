package io.maskstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.maskstream.ingest.IngestConfig.Camera;
import io.maskstream.ingest.metrics.CameraState;
import io.maskstream.schemas.avro.Frame;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files and folders through the real grabber and encoder into an in-memory sender. */
class IngestServiceTest {
  @TempDir static Path dir;
  static Path clip;

  @BeforeAll
  static void clips() throws Exception {
    // 3 s at 25 fps
    clip = TestClips.video(dir.resolve("clip.mp4"), 320, 240, 25, 75);
  }

  private static Camera camera(String id, String url, double fps, int maxWidth) {
    return new Camera(id, url, fps, maxWidth, 80, false, false, Duration.ofSeconds(2), Map.of());
  }

  private static IngestConfig config(Camera... cameras) {
    return new IngestConfig(List.of(cameras), -1, Duration.ZERO, 4);
  }

  private static boolean isJpeg(Frame frame) {
    ByteBuffer image = frame.getImage().duplicate();
    return image.remaining() > 4 && (image.get() & 0xff) == 0xFF && (image.get() & 0xff) == 0xD8;
  }

  @Test
  void fileIsSampledByPresentationTimeDownscaledAndNumbered() throws Exception {
    CollectingSender sender = new CollectingSender();
    try (IngestService service =
        IngestService.start(config(camera("file", clip.toString(), 5, 160)), sender)) {
      assertThat(service.awaitSourcesDone(Duration.ofSeconds(60))).isTrue();
      assertThat(service.metrics("file").state()).isEqualTo(CameraState.FINISHED);
      assertThat(service.metrics("file").grabbedCount()).isEqualTo(75);
    }
    List<Frame> frames = sender.frames("file");
    // 3 s at 5 fps
    assertThat(frames).hasSizeBetween(14, 16);
    assertThat(frames).extracting(Frame::getSequence).isSorted().doesNotHaveDuplicates();
    assertThat(frames.get(0).getSequence()).isZero();
    assertThat(frames).allSatisfy(f -> assertThat(f.getWidth()).isEqualTo(160));
    assertThat(frames).allSatisfy(f -> assertThat(f.getHeight()).isEqualTo(120));
    assertThat(frames).allMatch(IngestServiceTest::isJpeg);
    long[] pts = frames.stream().mapToLong(Frame::getPresentationTime).toArray();
    for (int i = 1; i < pts.length; i++) {
      // every 200 ms of presentation time, whatever the decode speed
      assertThat(pts[i] - pts[i - 1]).isBetween(160_000L, 240_000L);
      long captureStep =
          frames.get(i).getCaptureTime().toEpochMilli()
              - frames.get(i - 1).getCaptureTime().toEpochMilli();
      assertThat(captureStep).isBetween(160L, 240L);
    }
  }

  @Test
  void optionsFfmpegDidNotUseAreLoggedOnce() throws Exception {
    Camera file =
        new Camera(
            "file",
            clip.toString(),
            5,
            0,
            80,
            false,
            false,
            Duration.ofSeconds(2),
            Map.of("no_such_option", "1", "probesize", "100000"));
    CollectingSender sender = new CollectingSender();
    try (LogCapture logs = new LogCapture();
        IngestService service = IngestService.start(config(file), sender)) {
      assertThat(service.awaitSourcesDone(Duration.ofSeconds(60))).isTrue();
      assertThat(logs.matching("camera file: FFmpeg did not use the option(s) [no_such_option]"))
          .hasSize(1);
    }
    assertThat(sender.frames("file")).hasSizeBetween(14, 16);
  }

  @Test
  void imageFolderSendsEachImageInNameOrder() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("images"));
    TestClips.images(folder, 64, 48, 5);
    Files.writeString(folder.resolve("notes.txt"), "not an image");
    CollectingSender sender = new CollectingSender();
    try (IngestService service =
        IngestService.start(config(camera("folder", folder.toString(), 50, 0)), sender)) {
      assertThat(service.awaitSourcesDone(Duration.ofSeconds(30))).isTrue();
    }
    assertThat(sender.frames("folder"))
        .extracting(Frame::getSequence)
        .containsExactly(0L, 1L, 2L, 3L, 4L);
    assertThat(sender.frames("folder")).allSatisfy(f -> assertThat(f.getWidth()).isEqualTo(64));
  }

  @Test
  void badSourcesAreLoggedAndRetriedWhileTheOthersRun() throws Exception {
    Path notVideo = Files.writeString(dir.resolve("notes.mp4"), "this is not a video\n".repeat(50));
    Path full = TestClips.video(dir.resolve("full.mp4"), 320, 240, 25, 50);
    byte[] bytes = Files.readAllBytes(full);
    Path truncated =
        Files.write(dir.resolve("truncated.mp4"), Arrays.copyOf(bytes, bytes.length / 2));
    CollectingSender sender = new CollectingSender();
    try (LogCapture logs = new LogCapture();
        IngestService service =
            IngestService.start(
                config(
                    camera("missing", dir.resolve("nope.mp4").toString(), 5, 0),
                    camera("notvideo", notVideo.toString(), 5, 0),
                    camera("truncated", truncated.toString(), 5, 0),
                    camera("bad id!", clip.toString(), 5, 0),
                    new Camera(
                        "good",
                        clip.toString(),
                        5,
                        0,
                        80,
                        true,
                        false,
                        Duration.ofSeconds(2),
                        Map.of())),
                sender)) {
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                assertThat(sender.frames("good")).hasSizeGreaterThan(20);
                assertThat(service.metrics("missing").reconnectCount()).isPositive();
                assertThat(service.metrics("notvideo").reconnectCount()).isPositive();
                assertThat(service.metrics("truncated").reconnectCount()).isPositive();
              });
      assertThat(service.metrics("bad id!").state()).isEqualTo(CameraState.INVALID);
      assertThat(service.metrics("missing").state()).isIn(CameraState.DOWN, CameraState.CONNECTING);
      assertThat(logs.matching("camera missing: cannot read")).hasSize(1);
      assertThat(logs.matching("no such file")).hasSize(1);
      assertThat(logs.matching("camera notvideo: cannot read")).hasSize(1);
      assertThat(logs.matching("camera truncated: cannot read")).hasSize(1);
      assertThat(logs.matching("camera 'bad id!' is not started")).hasSize(1);
      assertThat(service.registry().scrape())
          .contains("maskstream_ingest_camera_up{camera=\"missing\"} 0")
          .contains("maskstream_ingest_camera_state{camera=\"bad id!\"} 5")
          .contains("maskstream_ingest_reconnects_total{camera=\"notvideo\"}");
    }
    assertThat(sender.frames()).extracting(Frame::getCamera).containsOnly("good");
    // the looping file keeps counting: no sequence is reused across passes
    assertThat(sender.frames("good"))
        .extracting(Frame::getSequence)
        .isSorted()
        .doesNotHaveDuplicates();
  }

  @Test
  void camerasRunWhileKafkaIsUnreachableAndFramesFlowOnceItIsPrepared() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("waiting"));
    TestClips.images(folder, 64, 48, 5);
    Camera looping =
        new Camera(
            "cam", folder.toString(), 20, 0, 80, true, true, Duration.ofSeconds(2), Map.of());
    CollectingSender sender = new CollectingSender();
    AtomicBoolean kafkaUp = new AtomicBoolean();
    AtomicInteger attempts = new AtomicInteger();
    try (LogCapture logs = new LogCapture();
        IngestService service =
            IngestService.start(
                config(looping),
                sender,
                timeout -> {
                  attempts.incrementAndGet();
                  if (!kafkaUp.get()) {
                    throw new KafkaException("Kafka did not answer within 5 s: check --bootstrap");
                  }
                })) {
      await().atMost(Duration.ofSeconds(30)).until(() -> attempts.get() >= 2);
      assertThat(service.metrics("cam").grabbedCount()).isPositive();
      assertThat(sender.frames()).isEmpty();
      // the folder waits for room: one frame waits, none is lost
      assertThat(service.pendingFrames()).isEqualTo(1);
      assertThat(logs.matching("Kafka is not reachable (Kafka did not answer")).hasSize(1);

      kafkaUp.set(true);
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(sender.frames("cam")).hasSizeGreaterThan(10));
      assertThat(sender.frames("cam")).extracting(Frame::getSequence).startsWith(0L, 1L, 2L);
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(logs.matching("Kafka takes frames after")).hasSize(1));
      assertThat(logs.matching("Kafka is not reachable")).hasSize(1);
      assertThat(logs.matching("Kafka has acknowledged no frame")).isEmpty();
    }
  }

  @Test
  void aRefusalThatRetryingCannotCureEndsTheService() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("refused"));
    TestClips.images(folder, 64, 48, 2);
    Camera looping =
        new Camera(
            "cam", folder.toString(), 20, 0, 80, true, true, Duration.ofSeconds(2), Map.of());
    try (LogCapture logs = new LogCapture();
        IngestService service =
            IngestService.start(
                config(looping),
                new CollectingSender(),
                timeout -> {
                  throw new KafkaException(
                      "cannot create topics: denied",
                      new TopicAuthorizationException("Not authorized"));
                })) {
      assertThat(service.awaitEnd()).hasValueSatisfying(r -> assertThat(r).contains("denied"));
      assertThat(logs.matching("Kafka refused ingest: cannot create topics: denied")).hasSize(1);
    }
  }

  @Test
  void onlyRefusalsEndTheService() {
    assertThat(IngestService.curable(new KafkaException("timeout", new TimeoutException())))
        .isTrue();
    assertThat(
            IngestService.curable(
                new KafkaException(
                    "x", new org.apache.kafka.common.errors.TimeoutException("no node"))))
        .isTrue();
    assertThat(
            IngestService.curable(new KafkaException("x", new SaslAuthenticationException("no"))))
        .isFalse();
  }
}
