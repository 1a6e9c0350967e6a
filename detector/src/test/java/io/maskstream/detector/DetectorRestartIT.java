package io.maskstream.detector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.broker.testing.MetricsScrape;
import io.maskstream.detector.DetectorItKit.EventsPerFrame;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.avro.Detections;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A detector process killed with SIGKILL in the middle of a stream and started again: every frame
 * has exactly one detections event for read_committed consumers, and the restarted process's
 * Prometheus endpoint counts the frames it processed.
 */
class DetectorRestartIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  private static final int FRAMES = 30;

  @Test
  void sigkillAndRestartLosesAndDuplicatesNothing(@TempDir Path dir) throws Exception {
    String bootstrap = kafka.bootstrapServers();
    TopicNames topics = DetectorItKit.createTopics(bootstrap, "it2", 2);
    DetectorItKit.sendGateAndLobby(
        bootstrap, topics.frames(), 0, FRAMES, TestFrames.jpeg("image1.png"));
    Path config =
        DetectorItKit.processConfig(dir.resolve("client.properties"), topics, dir.resolve("state"));
    Map<String, Integer> seen;
    try (EventsPerFrame<Detections> detections =
        new EventsPerFrame<>(
            bootstrap, topics.detections(), Detections.class, Detections::getFrame)) {
      seen = detections.counts();
      Process first = start(config, dir.resolve("first.log"));
      try {
        await()
            .atMost(Duration.ofMinutes(3))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> detections.collect() >= 4);
      } finally {
        first.destroyForcibly(); // SIGKILL: no close, no commit, an open transaction
        first.waitFor();
      }
      assertThat(seen.size()).isLessThan(FRAMES);
      int metricsPort;
      try (ServerSocket free = new ServerSocket(0)) {
        metricsPort = free.getLocalPort();
      }
      Process second =
          start(config, dir.resolve("second.log"), "--metrics-port", Integer.toString(metricsPort));
      try {
        await()
            .atMost(Duration.ofMinutes(4))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> detections.collect() >= FRAMES);
        Thread.sleep(3000);
        detections.collect();
        // the process's Prometheus endpoint, scraped over HTTP as Prometheus would
        MetricsScrape scrape = MetricsScrape.fetch(metricsPort);
        double processed =
            scrape.sum("maskstream_detector_frames_processed_total{camera=\"gate\"")
                + scrape.sum("maskstream_detector_frames_processed_total{camera=\"lobby\"");
        assertThat(processed).isBetween(1.0, (double) FRAMES);
        assertThat(scrape.sum("maskstream_detector_inference_seconds_count")).isEqualTo(processed);
        assertThat(scrape.sum("maskstream_detector_latency_seconds_count")).isEqualTo(processed);
        assertThat(scrape.text())
            .containsPattern("maskstream_detector_model\\{[^}]*version=\"[0-9a-f]+\"[^}]*} 1\\.0");
        assertThat(scrape.text()).doesNotContain("maskstream_detector_frames_failed_total{");
      } finally {
        second.destroy();
        second.waitFor();
      }
    }
    assertThat(seen).hasSize(FRAMES);
    assertThat(seen.values()).as("events per frame").containsOnly(1);

    // the tracks survived the kill: once an object has its id, every later frame shows it, and
    // it had exactly one new event
    DetectorItKit.assertTracksContinue(kafka.bootstrapServers(), topics, FRAMES);
  }

  private Process start(Path config, Path log, String... more) throws Exception {
    // the fixture model is unsure of itself: one object per frame scores 0.35, enough to track
    // with a lower activation threshold
    String[] args = java.util.Arrays.copyOf(more, more.length + 2);
    System.arraycopy(DetectorItKit.FIXTURE_TRACKING_ARGS, 0, args, more.length, 2);
    return DetectorItKit.startDetector(kafka.bootstrapServers(), "detector-it2", config, log, args);
  }
}
