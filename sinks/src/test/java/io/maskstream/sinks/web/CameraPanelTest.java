package io.maskstream.sinks.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.schemas.CameraHealth.Condition;
import io.maskstream.schemas.avro.Camera;
import io.maskstream.schemas.avro.CameraRunState;
import io.maskstream.schemas.avro.CameraStatus;
import io.maskstream.schemas.internal.TrustedClasses;
import io.maskstream.sinks.web.CameraPanel.Row;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CameraPanelTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant T = Instant.parse("2026-06-01T08:00:00Z");
  private static final long MS = T.toEpochMilli();

  static {
    TrustedClasses.install(); // the builders read the schemas' defaults
  }

  static Camera camera(String id, String url, boolean enabled, Map<String, String> labels) {
    return Camera.newBuilder()
        .setId(id)
        .setUrl(url)
        .setEnabled(enabled)
        .setLabels(labels)
        .setUpdatedAt(T.minusSeconds(3600))
        .build();
  }

  static CameraStatus report(
      String camera, CameraRunState state, Instant at, int intervalMs, String error) {
    return CameraStatus.newBuilder()
        .setCamera(camera)
        .setOwner("host-a pid 4242")
        .setState(state)
        .setFps(state == CameraRunState.STREAMING ? 4.8 : 0)
        .setFramesSent(1200)
        .setLastSequence(1199L)
        .setLastFrameTime(at.minusMillis(150))
        .setReconnects(state == CameraRunState.DOWN ? 7 : 0)
        .setLastError(error)
        .setReportedAt(at)
        .setReportIntervalMs(intervalMs)
        .build();
  }

  private static Row row(List<Row> rows, String camera) {
    return rows.stream().filter(r -> r.camera().equals(camera)).findFirst().orElse(null);
  }

  /** The panel updates published since the last call, parsed. */
  private static List<JsonNode> updates(Broadcaster.Subscriber subscriber) throws Exception {
    return subscriber.take(0).stream()
        .map(
            u -> {
              assertThat(u.kind()).isEqualTo(Broadcaster.CAMERAS);
              try {
                return JSON.readTree(u.json());
              } catch (Exception e) {
                throw new AssertionError(e);
              }
            })
        .toList();
  }

  private static JsonNode cameraOf(JsonNode panel, String camera) {
    for (JsonNode c : panel.get("cameras")) {
      if (c.get("camera").asText().equals(camera)) {
        return c;
      }
    }
    return null;
  }

  @Test
  void everyDefinedCameraWithItsNewestReportPasswordsMasked() {
    CameraPanel panel = new CameraPanel(new Broadcaster(16));
    String url = "rtsp://viewer:s3cret@10.0.0.7/stream1";
    panel.onDefinition("gate", camera("gate", url, true, Map.of("site", "north")), MS);
    panel.onStatus(
        "gate",
        report(
            "gate",
            CameraRunState.DOWN,
            T.minusMillis(500),
            2000,
            "cannot read " + url + ": Connection refused"),
        MS);
    panel.onDefinition("yard", camera("yard", "/data/yard.mp4", true, Map.of()), MS);
    panel.onDefinition("spare", camera("spare", "/dev/video1", false, Map.of()), MS);
    panel.onDefinition("dock", camera("dock", "rtsp://u:${env:DOCK}@dock/1", true, Map.of()), MS);
    panel.onStatus(
        "dock", report("dock", CameraRunState.STREAMING, T.minusMillis(900), 2000, null), MS);

    List<Row> rows = panel.rows(T);
    // those that need attention first, then by id
    assertThat(rows).extracting(Row::camera).containsExactly("gate", "yard", "dock", "spare");

    Row gate = row(rows, "gate");
    assertThat(gate.health().condition()).isEqualTo(Condition.DOWN);
    assertThat(gate.url()).isEqualTo("rtsp://viewer:***@10.0.0.7/stream1");
    assertThat(gate.health().summary())
        .isEqualTo("down: cannot read rtsp://viewer:***@10.0.0.7/stream1: Connection refused");
    assertThat(gate.labels()).containsExactly(Map.entry("site", "north"));
    assertThat(row(rows, "yard").health().summary())
        .isEqualTo("not running: no ingest process reports it");
    assertThat(row(rows, "spare").health().condition()).isEqualTo(Condition.DISABLED);
    assertThat(row(rows, "dock").health().condition()).isEqualTo(Condition.UP);
    assertThat(row(rows, "dock").url())
        .as("a reference to the ingest host's environment is no secret")
        .isEqualTo("rtsp://u:${env:DOCK}@dock/1");

    String json = CameraPanel.json(rows);
    assertThat(json).doesNotContain("s3cret");
  }

  @Test
  void theUpdateCarriesWhatThePageShows() throws Exception {
    CameraPanel panel = new CameraPanel(new Broadcaster(16));
    String hostile = "<img src=x onerror=alert(1)>";
    panel.onDefinition(hostile, camera(hostile, "rtsp://a:b@h/" + hostile, true, Map.of()), MS);
    panel.onStatus(
        hostile, report(hostile, CameraRunState.INVALID, T, 2000, "bad option " + hostile), MS);
    panel.onDefinition("gate", camera("gate", "/data/g.mp4", true, Map.of("site", "n")), MS);
    panel.onStatus("gate", report("gate", CameraRunState.STREAMING, T, 2000, null), MS);

    JsonNode u = JSON.readTree(CameraPanel.json(panel.rows(T)));
    assertThat(u.get("total").asInt()).isEqualTo(2);
    assertThat(u.get("alarming").asInt()).isEqualTo(1);
    JsonNode bad = cameraOf(u, hostile);
    assertThat(bad.get("condition").asText()).isEqualTo("invalid");
    assertThat(bad.get("alarming").asBoolean()).isTrue();
    assertThat(bad.get("summary").asText()).isEqualTo("invalid: bad option " + hostile);
    assertThat(bad.get("lastError").asText()).isEqualTo("bad option " + hostile);
    assertThat(bad.get("url").asText()).isEqualTo("rtsp://a:***@h/" + hostile);
    JsonNode gate = cameraOf(u, "gate");
    assertThat(gate.get("condition").asText()).isEqualTo("up");
    assertThat(gate.get("fps").asDouble()).isEqualTo(4.8);
    assertThat(gate.get("lastFrameTime").asLong()).isEqualTo(MS - 150);
    assertThat(gate.get("reconnects").asLong()).isZero();
    assertThat(gate.get("owner").asText()).isEqualTo("host-a pid 4242");
    assertThat(gate.get("labels").get("site").asText()).isEqualTo("n");
    assertThat(gate.get("defined").asBoolean()).isTrue();
    assertThat(gate.has("lastError")).isFalse();
  }

  @Test
  void tombstonesRemoveDefinitionsAndReports() {
    CameraPanel panel = new CameraPanel(new Broadcaster(16));
    panel.onDefinition("gate", camera("gate", "/g.mp4", true, Map.of()), MS - 60_000);
    panel.onStatus("gate", report("gate", CameraRunState.STREAMING, T, 2000, null), MS);
    // a camera run by ingest --camera: it reports but is not defined
    panel.onStatus("lobby", report("lobby", CameraRunState.STREAMING, T, 2000, null), MS);
    // one whose owner stopped it: nothing says it should run
    panel.onStatus("old", report("old", CameraRunState.STOPPED, T, 2000, null), MS);
    List<Row> rows = panel.rows(T);
    assertThat(rows).extracting(Row::camera).containsExactly("gate", "lobby");
    assertThat(row(rows, "lobby").defined()).isFalse();
    assertThat(row(rows, "lobby").health().condition()).isEqualTo(Condition.UP);

    // the report is removed: the defined camera is not running
    panel.onStatus("gate", null, MS + 1000);
    assertThat(row(panel.rows(T), "gate").health().condition()).isEqualTo(Condition.NOT_RUNNING);

    // the camera is removed: gone, and a report from before its removal does not bring it back
    panel.onStatus("gate", report("gate", CameraRunState.DOWN, T, 2000, "refused"), MS);
    panel.onDefinition("gate", null, MS + 2000);
    assertThat(panel.rows(T)).extracting(Row::camera).containsExactly("lobby");
    // ... one made after it does (ingest --camera runs a camera of that id now)
    panel.onStatus(
        "gate", report("gate", CameraRunState.STREAMING, T.plusMillis(3000), 2000, null), MS);
    assertThat(panel.rows(T.plusMillis(3000))).extracting(Row::camera).contains("gate");
    // defined again: the definition is what counts
    panel.onDefinition("gate", camera("gate", "/g2.mp4", false, Map.of()), MS + 4000);
    assertThat(row(panel.rows(T.plusMillis(4000)), "gate").health().condition())
        .isEqualTo(Condition.DISABLED);
  }

  @Test
  void judgedAgainByTheClockSoASilentOwnerTurnsStale() throws Exception {
    Broadcaster broadcaster = new Broadcaster(16);
    try (Broadcaster.Subscriber page = broadcaster.subscribe()) {
      CameraPanel panel = new CameraPanel(broadcaster);
      // nothing before the topics were read, nor without any camera
      panel.onDefinition("gate", camera("gate", "/g.mp4", true, Map.of()), MS);
      panel.onStatus("gate", report("gate", CameraRunState.STREAMING, T, 2000, null), MS);
      panel.tick(MS, false);
      assertThat(updates(page)).isEmpty();

      panel.tick(MS + 100, true);
      List<JsonNode> first = updates(page);
      assertThat(first).hasSize(1);
      assertThat(cameraOf(first.get(0), "gate").get("condition").asText()).isEqualTo("up");
      assertThat(panel.alarming()).isZero();

      // not due, then judged again the same: no update
      panel.tick(MS + 600, true);
      panel.tick(MS + 1100, true); // judged again, the same: nothing sent
      assertThat(updates(page)).isEmpty();

      // three report intervals without a report: stale, with no new record
      panel.tick(MS + 6000, true);
      assertThat(updates(page)).isEmpty();
      panel.tick(MS + 7001, true);
      List<JsonNode> stale = updates(page);
      assertThat(stale).hasSize(1);
      JsonNode gate = cameraOf(stale.get(0), "gate");
      assertThat(gate.get("condition").asText()).isEqualTo("stale");
      assertThat(gate.get("summary").asText())
          .isEqualTo("stale: no report for 7 s from host-a pid 4242");
      assertThat(gate.get("fps").asDouble()).as("no rate from a stale report").isZero();
      assertThat(panel.alarming()).isEqualTo(1);

      // a change shows at the next judgement, not at once: one update a second at most
      panel.onStatus(
          "gate", report("gate", CameraRunState.STREAMING, T.plusMillis(7100), 2000, null), MS);
      panel.tick(MS + 7100, true);
      assertThat(updates(page)).isEmpty();
      panel.tick(MS + 7001 + CameraPanel.JUDGE_MS, true);
      assertThat(cameraOf(updates(page).get(0), "gate").get("condition").asText()).isEqualTo("up");

      // the last camera removed: an empty panel, so the page hides it
      panel.onDefinition("gate", null, MS + 8000);
      panel.onStatus("gate", null, MS + 8000);
      panel.tick(MS + 10_000, true);
      List<JsonNode> empty = updates(page);
      assertThat(empty).hasSize(1);
      assertThat(empty.get(0).get("total").asInt()).isZero();
      assertThat(empty.get(0).get("cameras")).isEmpty();
    }
  }

  @Test
  void aNewPageGetsThePanelHoweverManyFramesCame() throws Exception {
    Broadcaster broadcaster = new Broadcaster(2);
    CameraPanel panel = new CameraPanel(broadcaster);
    panel.onDefinition("gate", camera("gate", "/g.mp4", true, Map.of()), MS);
    panel.tick(MS, true);
    for (int i = 0; i < 10; i++) {
      broadcaster.publish("cam-" + i, "{}");
    }
    try (Broadcaster.Subscriber page = broadcaster.subscribe()) {
      List<Broadcaster.Update> seeded = page.take(0);
      assertThat(seeded).extracting(Broadcaster.Update::kind).contains(Broadcaster.CAMERAS);
      // a full mailbox still takes the panel
      for (int i = 0; i < 10; i++) {
        broadcaster.publish("cam-" + i, "{}");
      }
      panel.onDefinition("yard", camera("yard", "/y.mp4", true, Map.of()), MS);
      panel.tick(MS + CameraPanel.JUDGE_MS, true);
      assertThat(page.take(0)).extracting(Broadcaster.Update::kind).contains(Broadcaster.CAMERAS);
    }
  }

  @Test
  void listsAtMostMaxRowsThoseThatNeedAttentionFirst() throws Exception {
    CameraPanel panel = new CameraPanel(new Broadcaster(16));
    for (int i = 0; i < CameraPanel.MAX_ROWS + 10; i++) {
      String id = String.format("cam-%04d", i);
      panel.onDefinition(id, camera(id, "/v.mp4", true, Map.of()), MS);
      panel.onStatus(id, report(id, CameraRunState.STREAMING, T, 2000, null), MS);
    }
    panel.onStatus("cam-0999", report("cam-0999", CameraRunState.DOWN, T, 2000, "refused"), MS);
    panel.onDefinition("cam-0999", camera("cam-0999", "/v.mp4", true, Map.of()), MS);
    JsonNode u = JSON.readTree(CameraPanel.json(panel.rows(T)));
    assertThat(u.get("total").asInt()).isEqualTo(CameraPanel.MAX_ROWS + 11);
    assertThat(u.get("cameras")).hasSize(CameraPanel.MAX_ROWS);
    assertThat(u.get("cameras").get(0).get("camera").asText()).isEqualTo("cam-0999");
  }
}
