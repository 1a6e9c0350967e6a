package io.maskstream.sinks.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.schemas.avro.Box;
import io.maskstream.schemas.avro.ClassCount;
import io.maskstream.schemas.avro.CrossingCount;
import io.maskstream.schemas.avro.DeadLetter;
import io.maskstream.schemas.avro.Detection;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.InstanceMask;
import io.maskstream.schemas.avro.LineDefinition;
import io.maskstream.schemas.avro.Masks;
import io.maskstream.schemas.avro.ModelRef;
import io.maskstream.schemas.avro.Point;
import io.maskstream.schemas.avro.Rle;
import io.maskstream.schemas.avro.Timings;
import io.maskstream.schemas.avro.ZoneDefinition;
import io.maskstream.schemas.avro.ZoneEvent;
import io.maskstream.schemas.avro.ZoneEventType;
import io.maskstream.schemas.avro.ZoneSet;
import io.maskstream.schemas.internal.TrustedClasses;
import io.maskstream.sinks.EventSamples;
import io.maskstream.sinks.SinkConfig;
import io.maskstream.sinks.SinkRun;
import java.awt.Color;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Zones and lines on the live page, in a real headless Chromium fed through the embedded broker:
 * their labels show the counts of the newest zone events, and a new zone set or count shows up
 * without reloading the page. The screenshot is kept as {@code target/zones-web.png} ({@code
 * target/zones-web-changed.png} while changed counts stand out).
 */
class WebSinkZonesIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  static final String CAMERA = "dock-cam";
  static final int W = 640;
  static final int H = 480;
  static final Duration PATIENCE = Duration.ofSeconds(60);

  @BeforeAll
  static void topics() {
    Assumptions.assumeTrue(LivePage.available(), "needs Debian's chromium and chromium-driver");
    TrustedClasses.install(); // the builders read the schemas' defaults
    EventSamples.createTopics(kafka);
    kafka.createTopic(
        EventSamples.TOPICS.zones(),
        1,
        Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
    kafka.createTopic(EventSamples.TOPICS.zoneEvents(), 2);
  }

  /** One zone (relative coordinates, lower left of the frame) and one line (pixels, across). */
  private static ZoneSet zones(String zoneName) {
    return ZoneSet.newBuilder()
        .setCamera(CAMERA)
        .setUpdatedAt(EventSamples.T0)
        .setZones(
            List.of(
                ZoneDefinition.newBuilder()
                    .setName(zoneName)
                    .setRelative(true)
                    .setPolygon(
                        List.of(
                            new Point(0.05, 0.55),
                            new Point(0.55, 0.55),
                            new Point(0.6, 0.95),
                            new Point(0.05, 0.95)))
                    .build()))
        .setLines(
            List.of(
                LineDefinition.newBuilder()
                    .setName("gate")
                    .setStart(new Point(40.0, 200.0))
                    .setEnd(new Point(600.0, 200.0))
                    .build()))
        .build();
  }

  private static ZoneEvent.Builder event(ZoneEventType type, String zone, long seq) {
    return ZoneEvent.newBuilder()
        .setType(type)
        .setCamera(CAMERA)
        .setZone(zone)
        .setTrackId(seq)
        .setLabel("person")
        .setFrameSequence(seq)
        .setFrameTime(EventSamples.T0.plusMillis(66 * seq));
  }

  private static ZoneEvent occupancy(String zone, long seq, long people, long cars) {
    return event(ZoneEventType.ENTER, zone, seq)
        .setOccupancy(List.of(new ClassCount("person", people), new ClassCount("car", cars)))
        .build();
  }

  private static ZoneEvent cross(long seq, long peopleIn, long carsIn, long peopleOut) {
    return event(ZoneEventType.CROSS, "gate", seq)
        .setDirection("in")
        .setCrossings(
            List.of(
                new CrossingCount("person", "in", peopleIn),
                new CrossingCount("car", "in", carsIn),
                new CrossingCount("person", "out", peopleOut)))
        .build();
  }

  /** A person standing in the zone, with its box as its mask. */
  private static void person(EventSamples samples, long seq) {
    var ref = EventSamples.ref(CAMERA, seq, W, H);
    ModelRef model = new ModelRef("maskrcnn", "abc123");
    samples.send(EventSamples.frame(CAMERA, seq, W, H, Color.DARK_GRAY));
    samples.send(
        new Detections(
            ref,
            model,
            new Timings(1f, 1f, 30f, 2f, ref.getCaptureTime().plusMillis(85)),
            List.of(new Detection(1, "person", 0.93f, new Box(180f, 330f, 250f, 450f), 1L, null)),
            List.of(),
            List.of()));
    samples.send(
        new Masks(
            ref,
            model,
            List.of(
                new InstanceMask(
                    0,
                    new Rle(
                        H,
                        W,
                        EventSamples.rectangle(W, H, 180, 330, 250, 450).toCompressedString())))));
  }

  private static String labels(LivePage browser) {
    String zones = browser.tileData(CAMERA, "zones");
    return zones == null ? "" : zones;
  }

  @Test
  void drawsZonesAndLinesWithTheirLatestCountsAndFollowsChanges(@TempDir Path profile)
      throws Exception {
    SinkConfig config =
        SinkConfig.of(EventSamples.clientProperties(kafka.bootstrapServers()), "web-zones-it", -1);
    WebSink sink = new WebSink(config, SinkConfig.Web.of("127.0.0.1", 0));
    try (EventSamples samples = new EventSamples(kafka.bootstrapServers())) {
      // stored before the sink starts, and a record that is no zone set: read from the beginning
      samples.sendRaw(EventSamples.TOPICS.zones(), "broken-cam", new byte[] {1, 2, 3});
      samples.send(zones("dock"));
      samples.flush();
      try (SinkRun run = new SinkRun(sink, "web-zones-it")) {
        sink.awaitStarted();
        String page = "http://127.0.0.1:" + sink.port() + "/";
        try (LivePage browser = LivePage.open(page, profile)) {
          samples.send(occupancy("dock", 1, 2, 1));
          samples.send(cross(1, 10, 2, 3));
          samples.sendRaw(EventSamples.TOPICS.zoneEvents(), CAMERA, new byte[] {4, 5, 6});
          person(samples, 1);
          samples.flush();
          await()
              .atMost(PATIENCE)
              .untilAsserted(
                  () ->
                      assertThat(labels(browser))
                          .isEqualTo("dock · 2 person, 1 car\ngate ↓12 in · ↑3 out"));
          assertThat(browser.tileData(CAMERA, "sequence")).isEqualTo("1");

          // the zone is filled, translucent, in its colour (cyan-blue) under the masks; the line
          // is drawn in the next colour (orange)
          int[] inZone = browser.pixel(CAMERA, 300, 420);
          assertThat(inZone[2]).as("blue inside the zone").isGreaterThan(inZone[0] + 25);
          int[] outside = browser.pixel(CAMERA, 500, 420);
          assertThat(Math.abs(outside[2] - outside[0])).as("no fill outside").isLessThan(15);
          int[] onLine = browser.pixel(CAMERA, 150, 200);
          assertThat(onLine[0]).as("the line").isGreaterThan(200);
          assertThat(onLine[2]).isLessThan(100);
          int[] inMask = browser.pixel(CAMERA, 215, 400);
          assertThat(inMask[0]).as("the mask (red) over the zone").isGreaterThan(inMask[2] + 25);

          // the zone is renamed and someone crosses the line: the page follows without a reload
          // and without a new frame
          browser.js("window.__sameDocument = true;");
          samples.send(zones("loading bay"));
          samples.send(cross(2, 11, 2, 3));
          samples.flush();
          await()
              .atMost(PATIENCE)
              .untilAsserted(
                  () ->
                      assertThat(labels(browser))
                          .isEqualTo("loading bay · empty\ngate ↓13 in · ↑3 out"));
          assertThat(browser.js("return window.__sameDocument === true;")).isEqualTo(true);
          assertThat(browser.tileData(CAMERA, "sequence")).isEqualTo("1");

          // the new zone's counts, and a new frame: the screenshot shows zones, line and masks
          samples.send(occupancy("loading bay", 3, 1, 0));
          person(samples, 2);
          samples.flush();
          await()
              .atMost(PATIENCE)
              .untilAsserted(
                  () -> {
                    assertThat(browser.tileData(CAMERA, "sequence")).isEqualTo("2");
                    assertThat(labels(browser))
                        .isEqualTo("loading bay · 1 person\ngate ↓13 in · ↑3 out");
                  });
          // changed counts stand out a moment, then the labels go back to their plates
          browser.screenshot(Paths.get("target", "zones-web-changed.png"));
          Thread.sleep(2000);
          browser.screenshot(Paths.get("target", "zones-web.png"));

          // the zones are removed: nothing more drawn
          samples.removeZones(CAMERA);
          samples.flush();
          await().atMost(PATIENCE).until(() -> labels(browser).isEmpty());
          int[] after = browser.pixel(CAMERA, 300, 420);
          assertThat(Math.abs(after[2] - after[0])).as("no zone fill left").isLessThan(15);
        }
      }
    }
    // the zone event that could not be decoded went to the dead-letter topic; the broken zone set
    // was only skipped
    List<DeadLetter> letters = EventSamples.deadLetters(kafka.bootstrapServers());
    assertThat(letters)
        .extracting(DeadLetter::getSourceTopic)
        .containsExactly(EventSamples.TOPICS.zoneEvents());
  }
}
