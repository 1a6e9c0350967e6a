package io.maskstream.sinks.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.CompactedTopic;
import io.maskstream.schemas.avro.Camera;
import io.maskstream.schemas.avro.CameraRunState;
import io.maskstream.schemas.avro.CameraStatus;
import io.maskstream.schemas.internal.TrustedClasses;
import io.maskstream.sinks.EventSamples;
import io.maskstream.sinks.SinkConfig;
import io.maskstream.sinks.SinkRun;
import java.awt.Color;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cameras panel of the live page, in a real headless Chromium fed through the embedded broker:
 * camera definitions and status reports written straight to their compacted topics show up as rows
 * with their condition, a camera whose reports stop turns stale without any new record, a removed
 * camera's row goes, and ids and errors that look like markup are shown as text. The screenshot is
 * kept as {@code target/cameras-web.png}.
 */
class WebSinkCamerasIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  static final Duration PATIENCE = Duration.ofSeconds(60);
  static final String PASSWORD = "s3cret-pw";
  static final String GATE_URL = "rtsp://viewer:" + PASSWORD + "@10.0.0.7/stream1";
  static final String HOSTILE = "<img src=x onerror=window.__pwned=1>";
  static final String OWNER = "cam-host-1 pid 4242";

  private static final AvroSerde<Camera> CAMERAS = new AvroSerde<>(Camera.class);
  private static final AvroSerde<CameraStatus> REPORTS = new AvroSerde<>(CameraStatus.class);

  @BeforeAll
  static void topics() {
    Assumptions.assumeTrue(LivePage.available(), "needs Debian's chromium and chromium-driver");
    TrustedClasses.install(); // the builders read the schemas' defaults
    EventSamples.createTopics(kafka);
    Map<String, String> compact =
        Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
    kafka.createTopic(EventSamples.TOPICS.cameras(), 2, compact);
    kafka.createTopic(EventSamples.TOPICS.cameraStatus(), 2, compact);
  }

  private static Properties props() {
    return EventSamples.clientProperties(kafka.bootstrapServers());
  }

  private static void define(String id, String url, boolean enabled, Map<String, String> labels)
      throws Exception {
    Camera camera =
        Camera.newBuilder()
            .setId(id)
            .setUrl(url)
            .setEnabled(enabled)
            .setLabels(labels)
            .setUpdatedAt(Instant.now())
            .build();
    String topic = EventSamples.TOPICS.cameras();
    CompactedTopic.write(props(), topic, id, CAMERAS.serialize(topic, camera));
  }

  private static void remove(String id) throws Exception {
    CompactedTopic.write(props(), EventSamples.TOPICS.cameras(), id, null);
  }

  /** A report made now, as the camera's ingest process would write it. */
  private static void report(
      String id, CameraRunState state, double fps, long reconnects, String error, int intervalMs)
      throws Exception {
    Instant now = Instant.now();
    CameraStatus status =
        CameraStatus.newBuilder()
            .setCamera(id)
            .setOwner(OWNER)
            .setState(state)
            .setFps(fps)
            .setFramesSent(state == CameraRunState.STREAMING ? 640 : 0)
            .setLastSequence(state == CameraRunState.STREAMING ? 639L : null)
            .setLastFrameTime(state == CameraRunState.STREAMING ? now.minusMillis(120) : null)
            .setReconnects(reconnects)
            .setLastError(error)
            .setReportedAt(now)
            .setReportIntervalMs(intervalMs)
            .build();
    String topic = EventSamples.TOPICS.cameraStatus();
    CompactedTopic.write(props(), topic, id, REPORTS.serialize(topic, status));
  }

  private static String condition(LivePage browser, String camera) {
    Map<String, String> row = browser.cameraRow(camera);
    return row == null ? null : row.get("condition");
  }

  /** The red, green and blue of a CSS colour {@code rgb(r, g, b)}. */
  private static int[] rgb(String css) {
    String[] parts = css.replaceAll("[^0-9,]", "").split(",");
    return new int[] {
      Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), Integer.parseInt(parts[2])
    };
  }

  @Test
  void listsDefinedCamerasWithHowTheyAreDoingAndFollowsChanges(@TempDir Path profile)
      throws Exception {
    // stored before the sink starts: read from the beginning
    define("gate", GATE_URL, true, Map.of("site", "north"));
    report(
        "gate",
        CameraRunState.DOWN,
        0,
        7,
        "cannot read " + GATE_URL + ": Connection refused",
        60_000);
    define("yard", "/data/yard.mp4", true, Map.of()); // defined, never started
    define("spare", "/dev/video1", false, Map.of());
    define("lobby", "http://10.0.0.9/mjpeg", true, Map.of("site", "south"));
    report("lobby", CameraRunState.STREAMING, 9.6, 1, null, 60_000);
    define(HOSTILE, "rtsp://u:" + PASSWORD + "@h/" + HOSTILE, true, Map.of("x", HOSTILE));
    report(HOSTILE, CameraRunState.INVALID, 0, 0, "bad option " + HOSTILE, 60_000);

    SinkConfig config = SinkConfig.of(props(), "web-cameras-it", -1);
    WebSink sink = new WebSink(config, SinkConfig.Web.of("127.0.0.1", 0));
    try (EventSamples samples = new EventSamples(kafka.bootstrapServers());
        SinkRun run = new SinkRun(sink, "web-cameras-it")) {
      sink.awaitStarted();
      String page = "http://127.0.0.1:" + sink.port() + "/";
      try (LivePage browser = LivePage.open(page, profile)) {
        // a camera run by ingest --camera: it sends frames and reports, and is not defined
        report("static-cam", CameraRunState.STREAMING, 5.0, 0, null, 60_000);
        samples.send(EventSamples.frame("static-cam", 1, 320, 240, Color.DARK_GRAY));
        samples.send(EventSamples.frame("lobby", 1, 320, 240, Color.GRAY));
        samples.flush();

        await()
            .atMost(PATIENCE)
            .untilAsserted(
                () -> {
                  assertThat(browser.cameraPanelShown()).isTrue();
                  assertThat(condition(browser, "gate")).isEqualTo("down");
                  assertThat(condition(browser, "yard")).isEqualTo("not running");
                  assertThat(condition(browser, "spare")).isEqualTo("disabled");
                  assertThat(condition(browser, "lobby")).isEqualTo("up");
                  assertThat(condition(browser, HOSTILE)).isEqualTo("invalid");
                  assertThat(condition(browser, "static-cam")).isEqualTo("up");
                  assertThat(browser.tiles()).isEqualTo(2);
                });

        // a down camera: its last error with the password masked, its reconnects, its owner
        Map<String, String> gate = browser.cameraRow("gate");
        assertThat(gate.get("summary"))
            .isEqualTo("down: cannot read rtsp://viewer:***@10.0.0.7/stream1: Connection refused");
        assertThat(gate.get("url")).isEqualTo("rtsp://viewer:***@10.0.0.7/stream1");
        assertThat(gate.get("labels")).isEqualTo("site=north");
        assertThat(gate.get("reconnects")).isEqualTo("7");
        assertThat(gate.get("owner")).isEqualTo(OWNER);
        assertThat(gate.get("fps")).isEqualTo("0.0");
        int[] red = rgb(gate.get("badgeColor"));
        assertThat(red[0]).as("down is red").isGreaterThan(red[1] + 100);
        assertThat((String) browser.js("return document.body.textContent;"))
            .doesNotContain(PASSWORD);

        Map<String, String> yard = browser.cameraRow("yard");
        assertThat(yard.get("summary")).isEqualTo("not running: no ingest process reports it");
        assertThat(yard.get("fps")).isEqualTo("–");
        assertThat(yard.get("owner")).isEqualTo("–");
        Map<String, String> lobby = browser.cameraRow("lobby");
        assertThat(lobby.get("fps")).isEqualTo("9.6");
        assertThat(lobby.get("summary")).as("no explanation needed").isNull();
        assertThat(lobby.get("lastFrame")).isNotEqualTo("–");
        int[] green = rgb(lobby.get("badgeColor"));
        assertThat(green[1]).as("up is green").isGreaterThan(green[0] + 60);
        assertThat(browser.cameraRow("static-cam").get("url"))
            .isEqualTo("not defined: run by ingest --camera or --config");
        assertThat(browser.cameraRow("spare").get("summary")).isNull();

        // markup in an id, a label, a URL and an error is shown as text, never run
        Map<String, String> hostile = browser.cameraRow(HOSTILE);
        assertThat(hostile.get("name")).isEqualTo(HOSTILE);
        assertThat(hostile.get("labels")).isEqualTo("x=" + HOSTILE);
        assertThat(hostile.get("summary")).isEqualTo("invalid: bad option " + HOSTILE);
        assertThat(hostile.get("url")).isEqualTo("rtsp://u:***@h/" + HOSTILE);
        assertThat(browser.js("return document.querySelectorAll('img').length;")).isEqualTo(0L);
        assertThat(browser.js("return window.__pwned === undefined;")).isEqualTo(true);

        // those that need attention first, then by id
        assertThat(browser.cameraRows())
            .containsExactly(HOSTILE, "gate", "yard", "lobby", "spare", "static-cam");

        // a camera whose ingest process reports every 2 s: up while it does ...
        define("dock", "rtsp://10.0.0.8/stream1", true, Map.of());
        await()
            .atMost(PATIENCE)
            .pollInterval(Duration.ofSeconds(1))
            .untilAsserted(
                () -> {
                  report("dock", CameraRunState.STREAMING, 4.9, 0, null, 2000);
                  assertThat(condition(browser, "dock")).isEqualTo("up");
                });
        // ... stale once it stops, with no record coming
        browser.js("window.__sameDocument = true;");
        await()
            .atMost(PATIENCE)
            .untilAsserted(() -> assertThat(condition(browser, "dock")).isEqualTo("stale"));
        assertThat(browser.cameraRow("dock").get("summary"))
            .matches("stale: no report for \\d+ s from " + OWNER);
        assertThat(browser.js("return window.__sameDocument === true;")).isEqualTo(true);
        browser.screenshot(Paths.get("target", "cameras-web.png"));

        // removed: its row goes
        remove("yard");
        await().atMost(PATIENCE).until(() -> browser.cameraRow("yard") == null);
        assertThat(browser.cameraRows()).contains("gate", "dock", "lobby");

        // a page opened now gets the panel as it is
        browser.js("location.reload();");
        await()
            .atMost(PATIENCE)
            .untilAsserted(
                () -> {
                  assertThat(condition(browser, "gate")).isEqualTo("down");
                  assertThat(condition(browser, "dock")).isEqualTo("stale");
                  assertThat(browser.cameraRow("yard")).isNull();
                });
      }
    }
  }
}
