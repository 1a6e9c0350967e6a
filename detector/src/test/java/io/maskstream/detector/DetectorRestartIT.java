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

    // the tracks survived the kill: every frame shows the same objects, so each camera's objects
    // keep the ids they had before it; a restart that lost its tracks would hand out new ones
    Map<String, java.util.Set<Long>> allIds = new java.util.HashMap<>();
    Map<String, java.util.TreeMap<Long, java.util.Set<Long>>> idsByFrame =
        new java.util.HashMap<>();
    io.maskstream.schemas.AvroSerde<Detections> serde =
        new io.maskstream.schemas.AvroSerde<>(Detections.class);
    try (var reader = TestFrames.committedReader(kafka.bootstrapServers(), topics.detections())) {
      int read = 0;
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (read < FRAMES && System.nanoTime() < deadline) {
        for (Detections d : TestFrames.poll(reader, r -> serde.deserialize(r.topic(), r.value()))) {
          read++;
          String camera = d.getFrame().getCamera();
          java.util.Set<Long> ids = new java.util.TreeSet<>();
          d.getDetections().stream()
              .map(io.maskstream.schemas.avro.Detection::getTrackId)
              .filter(java.util.Objects::nonNull)
              .forEach(ids::add);
          allIds.computeIfAbsent(camera, c -> new java.util.TreeSet<>()).addAll(ids);
          idsByFrame
              .computeIfAbsent(camera, c -> new java.util.TreeMap<>())
              .put(d.getFrame().getSequence(), ids);
        }
      }
      assertThat(read).isEqualTo(FRAMES);
    }
    // once an object has its id, every later frame of its camera shows it: a restart that lost the
    // tracks would show the object untracked again (tentative) on its first frame after the restart
    for (Map.Entry<String, java.util.TreeMap<Long, java.util.Set<Long>>> e :
        idsByFrame.entrySet()) {
      java.util.Set<Long> first = null;
      for (Map.Entry<Long, java.util.Set<Long>> frame : e.getValue().entrySet()) {
        if (first == null && !frame.getValue().isEmpty()) {
          first = frame.getValue();
        } else if (first != null) {
          assertThat(frame.getValue())
              .as("track ids of camera %s, frame %d", e.getKey(), frame.getKey())
              .isEqualTo(first);
        }
      }
      assertThat(first).as("camera %s tracks its object", e.getKey()).isNotNull();
      assertThat(allIds.get(e.getKey())).isEqualTo(first);
    }

    // exactly one new event per track for read_committed consumers, none from the aborted work
    io.maskstream.schemas.AvroSerde<io.maskstream.schemas.avro.ObjectEvent> objects =
        new io.maskstream.schemas.AvroSerde<>(io.maskstream.schemas.avro.ObjectEvent.class);
    Map<String, Integer> news = new java.util.TreeMap<>();
    try (var reader = TestFrames.committedReader(kafka.bootstrapServers(), topics.objects())) {
      for (int i = 0; i < 10; i++) {
        for (var o : TestFrames.poll(reader, r -> objects.deserialize(r.topic(), r.value()))) {
          if (o.getType() == io.maskstream.schemas.avro.ObjectEventType.NEW) {
            news.merge(o.getCamera() + "#" + o.getTrackId(), 1, Integer::sum);
          }
        }
      }
    }
    java.util.Set<String> tracked = new java.util.TreeSet<>();
    allIds.forEach((camera, ids) -> ids.forEach(id -> tracked.add(camera + "#" + id)));
    assertThat(news.keySet()).isEqualTo(tracked);
    assertThat(news.values()).as("new events per track").containsOnly(1);
  }

  private Process start(Path config, Path log, String... more) throws Exception {
    // the fixture model is unsure of itself: one object per frame scores 0.35, enough to track
    // with a lower activation threshold
    String[] args = java.util.Arrays.copyOf(more, more.length + 2);
    args[more.length] = "--track-activation-threshold";
    args[more.length + 1] = "0.2";
    return DetectorItKit.startDetector(kafka.bootstrapServers(), "detector-it2", config, log, args);
  }
}
