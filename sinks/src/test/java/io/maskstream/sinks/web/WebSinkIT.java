package io.maskstream.sinks.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.schemas.avro.Box;
import io.maskstream.schemas.avro.Detection;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.InstanceMask;
import io.maskstream.schemas.avro.Keypoint;
import io.maskstream.schemas.avro.Masks;
import io.maskstream.schemas.avro.ModelRef;
import io.maskstream.schemas.avro.Rle;
import io.maskstream.schemas.avro.Timings;
import io.maskstream.sinks.EventSamples;
import io.maskstream.sinks.SinkConfig;
import io.maskstream.sinks.SinkRun;
import java.awt.Color;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live page in a real headless Chromium (Debian's chromium and chromedriver), fed through the
 * embedded broker. The screenshot is kept as {@code target/web-sink.png}.
 */
class WebSinkIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  static final String CAMERA = "lobby <b>1</b>";
  static final String LABEL = "<script>window.__pwned=1</script>";
  static final int W = 160;
  static final int H = 120;

  @BeforeAll
  static void topics() {
    Assumptions.assumeTrue(LivePage.available(), "needs Debian's chromium and chromium-driver");
    EventSamples.createTopics(kafka);
  }

  /** Detections with one instance: box and mask the rectangle [40, 100) x [30, 60). */
  private static Detections detections(long seq, int n) {
    var ref = EventSamples.ref(CAMERA, seq, W, H);
    List<Detection> list =
        n == 0
            ? List.of()
            : List.of(new Detection(1, LABEL, 0.87f, new Box(40f, 30f, 100f, 60f), null, null));
    return new Detections(
        ref,
        new ModelRef("maskrcnn", "abc123"),
        new Timings(1f, 1f, 30f, 2f, ref.getCaptureTime().plusMillis(85)),
        list,
        List.of(),
        List.of());
  }

  private static Masks masks(long seq, int n) {
    var ref = EventSamples.ref(CAMERA, seq, W, H);
    List<InstanceMask> list =
        n == 0
            ? List.of()
            : List.of(
                new InstanceMask(
                    0,
                    new Rle(
                        H, W, EventSamples.rectangle(W, H, 40, 30, 100, 60).toCompressedString())));
    return new Masks(ref, new ModelRef("maskrcnn", "abc123"), list);
  }

  @Test
  void drawsKeypointsJoinedByTheirSkeleton(@TempDir Path profile) throws Exception {
    SinkConfig config =
        SinkConfig.of(EventSamples.clientProperties(kafka.bootstrapServers()), "web-kp", -1);
    WebSink sink = new WebSink(config, SinkConfig.Web.of("127.0.0.1", 0));
    String camera = "pose";
    try (EventSamples samples = new EventSamples(kafka.bootstrapServers());
        SinkRun run = new SinkRun(sink, "web-kp")) {
      sink.awaitStarted();
      try (LivePage browser = LivePage.open("http://127.0.0.1:" + sink.port() + "/", profile)) {
        var ref = EventSamples.ref(camera, 1, W, H);
        ModelRef model = new ModelRef("people", "abc123");
        samples.send(EventSamples.frame(camera, 1, W, H, Color.BLACK));
        // a keypoint model without masks: two points joined by the skeleton's one line
        samples.send(
            new Detections(
                ref,
                model,
                new Timings(1f, 1f, 30f, 2f, ref.getCaptureTime().plusMillis(85)),
                List.of(
                    new Detection(
                        1,
                        "person",
                        0.9f,
                        new Box(10f, 10f, 150f, 110f),
                        null,
                        List.of(new Keypoint(30f, 90f, 4f), new Keypoint(130f, 90f, 3f)))),
                List.of("left_hand", "right_hand"),
                List.of(List.of(1, 2))));
        samples.send(new Masks(ref, model, List.of()));
        samples.flush();
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () ->
                    "1".equals(browser.tileData(camera, "sequence"))
                        && "1".equals(browser.tileData(camera, "detections")));
        int[] point = browser.pixel(camera, 30, 90);
        assertThat(Math.min(point[0], Math.min(point[1], point[2])))
            .as("a keypoint's white dot")
            .isGreaterThan(200);
        int[] line = browser.pixel(camera, 80, 90);
        assertThat(line[0] + line[1] + line[2]).as("the skeleton's line").isGreaterThan(150);
        int[] away = browser.pixel(camera, 80, 50);
        assertThat(away[0] + away[1] + away[2]).as("nothing drawn between").isLessThan(60);
        browser.js("window.scrollTo(0, document.body.scrollHeight); return null;");
        browser.screenshot(Paths.get("target", "web-sink-keypoints.png"));
      }
    }
  }

  @Test
  void showsEveryCameraLiveWithMasksBoxesAndEscapedText(@TempDir Path profile) throws Exception {
    SinkConfig config =
        SinkConfig.of(EventSamples.clientProperties(kafka.bootstrapServers()), "web-it", -1);
    WebSink sink = new WebSink(config, SinkConfig.Web.of("127.0.0.1", 0));
    try (EventSamples samples = new EventSamples(kafka.bootstrapServers());
        SinkRun run = new SinkRun(sink, "web-it")) {
      sink.awaitStarted();
      String page = "http://127.0.0.1:" + sink.port() + "/";
      try (LivePage browser = LivePage.open(page, profile)) {
        // frame 1: black, one instance with a mask
        samples.send(EventSamples.frame(CAMERA, 1, W, H, Color.BLACK));
        samples.send(detections(1, 1));
        samples.send(masks(1, 1));
        samples.flush();
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () ->
                    "1".equals(browser.tileData(CAMERA, "sequence"))
                        && "1".equals(browser.tileData(CAMERA, "detections")));

        // mask pixels are tinted where the mask is, and only there (a transposed mask would differ)
        int[] inside = browser.pixel(CAMERA, 90, 40);
        assertThat(inside[0]).as("red channel inside the mask").isGreaterThan(60);
        assertThat(inside[0]).isGreaterThan(inside[1] + 30);
        for (int[] xy : new int[][] {{50, 80}, {120, 45}, {10, 110}, {60, 20}}) {
          int[] outside = browser.pixel(CAMERA, xy[0], xy[1]);
          assertThat(outside[0] + outside[1] + outside[2])
              .as("no tint at (%d, %d)", xy[0], xy[1])
              .isLessThan(60);
        }

        // camera id and label are shown as text, never run as markup
        assertThat(browser.tileText(CAMERA, "h3")).isEqualTo(CAMERA);
        String recent =
            (String) browser.js("return document.getElementById('recent').textContent;");
        assertThat(recent).contains(LABEL).contains(CAMERA);
        assertThat(browser.js("return document.querySelectorAll('script').length;")).isEqualTo(1L);
        assertThat(browser.js("return document.querySelectorAll('b').length;")).isEqualTo(0L);
        assertThat(browser.js("return window.__pwned === undefined;")).isEqualTo(true);
        // no camera defined and none reporting: no cameras panel
        assertThat(browser.cameraPanelShown()).isFalse();
        assertThat(browser.tileText(CAMERA, ".stats"))
            .contains("85 ms")
            .contains("maskrcnn abc123");

        // frame 2: white, nothing detected: the image changes
        samples.send(EventSamples.frame(CAMERA, 2, W, H, Color.WHITE));
        samples.send(detections(2, 0));
        samples.send(masks(2, 0));
        samples.flush();
        await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> "2".equals(browser.tileData(CAMERA, "sequence")));
        await()
            .atMost(Duration.ofSeconds(10))
            .untilAsserted(() -> assertThat(browser.pixel(CAMERA, 10, 110)[0]).isGreaterThan(200));
        assertThat(browser.pixel(CAMERA, 90, 40)[1]).as("old mask gone").isGreaterThan(200);

        // a second camera gets its own tile; the first one stays
        samples.send(EventSamples.frame("yard", 5, W, H, Color.BLUE));
        samples.flush();
        await().atMost(Duration.ofSeconds(60)).until(() -> browser.tiles() == 2);

        // feed frame 1 again so the screenshot shows a mask
        samples.send(EventSamples.frame(CAMERA, 3, W, H, Color.DARK_GRAY));
        samples.send(detections(3, 1));
        samples.send(masks(3, 1));
        samples.flush();
        await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> "3".equals(browser.tileData(CAMERA, "sequence")));
        browser.screenshot(Paths.get("target", "web-sink.png"));
      }

      // the same server exposes Prometheus metrics
      HttpResponse<String> metrics =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(page + "metrics")).build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body()).contains("maskstream_sink_records_total").contains("sink=\"web\"");
    }
  }
}
