package io.maskstream.ingest;

import static io.maskstream.ingest.IngestItSupport.freePort;
import static io.maskstream.ingest.IngestItSupport.live;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.maskstream.ingest.metrics.CameraState;
import io.maskstream.ingest.source.CameraWorker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A source that sends bytes but never completes FFmpeg's stream probe: opening is abandoned after
 * the read timeout plus {@link CameraWorker#PROBE_ALLOWANCE}, the camera reconnects, and it streams
 * as soon as a real sender takes the port.
 */
class StalledSourceIT {
  @TempDir static Path dir;
  static Path clip;
  static Path tsClip;

  @BeforeAll
  static void clips() throws Exception {
    clip = TestClips.video(dir.resolve("camera.mp4"), 320, 240, 25, 100);
    tsClip = TestClips.video(dir.resolve("camera.ts"), 320, 240, 25, 100);
  }

  private static IngestConfig config(int port) {
    return new IngestConfig(
        List.of(live("cam", "http://127.0.0.1:" + port + "/camera.ts")), -1, Duration.ZERO, 4);
  }

  @Test
  void aProbeThatNeverCompletesIsAbandonedAndTheCameraReconnects() throws Exception {
    int port = freePort();
    CollectingSender sender = new CollectingSender();
    StalledMpegTsServer stalled = new StalledMpegTsServer(tsClip, port);
    try (LogCapture logs = new LogCapture();
        IngestService service = IngestService.start(config(port), sender);
        FfmpegSender real = FfmpegSender.httpMpegTs(clip, port, dir.resolve("ffmpeg.log"))) {
      // each attempt is given 2 s + 10 s; the third connection proves two were abandoned
      await().atMost(Duration.ofSeconds(120)).until(() -> stalled.connections() >= 3);
      assertThat(
              logs.matching(
                  "did not open within 12.0 s (data arrives but the stream probe does not complete)"))
          .isNotEmpty();
      assertThat(service.metrics("cam").reconnectCount()).isGreaterThanOrEqualTo(2);
      assertThat(service.metrics("cam").grabbedCount()).isZero();

      stalled.close();
      real.start();
      await()
          .atMost(Duration.ofSeconds(120))
          .untilAsserted(() -> assertThat(sender.frames("cam")).hasSizeGreaterThan(10));
      assertThat(service.metrics("cam").state()).isEqualTo(CameraState.STREAMING);
      assertThat(sender.frames("cam")).extracting(f -> f.getSequence()).isSorted();
    } finally {
      stalled.close();
    }
  }

  @Test
  void stoppingReleasesACameraStuckInItsProbeAtOnce() throws Exception {
    int port = freePort();
    try (StalledMpegTsServer stalled = new StalledMpegTsServer(tsClip, port)) {
      IngestService service = IngestService.start(config(port), new CollectingSender());
      await().atMost(Duration.ofSeconds(60)).until(() -> stalled.connections() >= 1);
      assertThat(service.metrics("cam").state()).isEqualTo(CameraState.CONNECTING);
      long start = System.nanoTime();
      service.close();
      // without the interrupt the probe would go on until its 12 s budget
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(6));
      assertThat(service.metrics("cam").state()).isEqualTo(CameraState.STOPPED);
    }
  }
}
