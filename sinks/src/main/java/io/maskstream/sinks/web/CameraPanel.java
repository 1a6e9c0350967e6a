package io.maskstream.sinks.web;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.maskstream.schemas.CameraHealth;
import io.maskstream.schemas.CameraUrls;
import io.maskstream.schemas.avro.Camera;
import io.maskstream.schemas.avro.CameraRunState;
import io.maskstream.schemas.avro.CameraStatus;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The cameras panel of the page: every camera defined on the cameras topic with how it is doing,
 * read from its newest report on the camera status topic by {@link CameraHealth} - up, connecting,
 * down or invalid with the last error, stale when its owner stopped reporting, not running,
 * disabled - with its rate, last frame, reconnects and owner.
 *
 * <p>A camera's newest definition replaces the previous one and a tombstone removes the camera; its
 * newest report likewise (a removed report leaves a defined camera not running). A camera that
 * reports but is not defined (run by {@code ingest --camera} or {@code --config}) is listed too,
 * unless its owner stopped it or it was removed from the cameras topic after its report. Passwords
 * in URLs and errors are masked ({@link CameraUrls#mask}).
 *
 * <p>The panel is judged again by this sink's clock every {@value #JUDGE_MS} ms, so a change shows
 * within that time and a camera whose ingest process died turns stale without any new record, while
 * a page gets at most one update per judgement however many reports come. {@link #tick} publishes
 * it as one page-wide {@link Broadcaster#CAMERAS} update whenever it differs from the last one: the
 * rows that need attention first, then by camera id, at most {@value #MAX_ROWS} of them (the update
 * says how many there are in all). No update is published before the cameras and camera status
 * topics were both read to their end once - while one is not there (an older cluster), the page
 * shows no panel, and a sink that starts does not show its cameras as not running before it has
 * their reports - nor before any camera is defined or reports.
 *
 * <p>Not thread-safe, but for {@link #alarming()}: owned by the web sink's consumer thread.
 */
public final class CameraPanel {
  static final int MAX_ROWS = 500;
  static final long JUDGE_MS = 1000;
  private static final JsonFactory JSON = new JsonFactory();

  /**
   * One camera as the panel shows it.
   *
   * @param camera camera id
   * @param defined whether the cameras topic defines it
   * @param enabled whether its definition says it should run (true when not defined)
   * @param url its URL with passwords masked, null when not defined
   * @param labels its definition's labels
   * @param health how it is doing now
   */
  record Row(
      String camera,
      boolean defined,
      boolean enabled,
      String url,
      Map<String, String> labels,
      CameraHealth health) {}

  /** A definition as the panel shows it, masked once when it comes. */
  private record Defined(boolean enabled, String url, Map<String, String> labels) {
    static Defined of(Camera camera) {
      return new Defined(
          camera.getEnabled(),
          CameraUrls.mask(camera.getUrl()),
          Collections.unmodifiableMap(new TreeMap<>(camera.getLabels())));
    }
  }

  private static final Comparator<Row> ORDER =
      Comparator.comparing((Row r) -> !r.health().condition().alarming())
          .thenComparing(Row::camera);

  private final Broadcaster broadcaster;
  private final Map<String, Defined> definitions = new HashMap<>();
  private final Map<String, Long> removedAt = new HashMap<>();
  private final Map<String, CameraStatus> reports = new HashMap<>();
  private long judgedAt = Long.MIN_VALUE;
  private String published;
  private volatile int alarming;

  /** A panel publishing to {@code out}. */
  public CameraPanel(Broadcaster out) {
    this.broadcaster = out;
  }

  /**
   * Takes {@code camera}'s definition, replacing the previous one; null (a tombstone) removes the
   * camera. {@code timestamp} is when it was written (ms).
   */
  public void onDefinition(String camera, Camera definition, long timestamp) {
    if (definition == null) {
      definitions.remove(camera);
      removedAt.put(camera, timestamp);
    } else {
      definitions.put(camera, Defined.of(definition));
      removedAt.remove(camera);
    }
  }

  /**
   * Takes {@code camera}'s newest status report, replacing the previous one; null (a tombstone)
   * removes it.
   */
  public void onStatus(String camera, CameraStatus status, long timestamp) {
    if (status == null) {
      reports.remove(camera);
    } else {
      reports.put(camera, status);
    }
  }

  /**
   * Publishes the panel when it is time to judge it again and it differs from the last one; nothing
   * unless {@code topicsRead}: the cameras and camera status topics are there and were read to
   * their end once.
   */
  public void tick(long nowMillis, boolean topicsRead) {
    boolean due = topicsRead && (judgedAt == Long.MIN_VALUE || nowMillis - judgedAt >= JUDGE_MS);
    if (!due) {
      return;
    }
    judgedAt = nowMillis;
    List<Row> rows = rows(Instant.ofEpochMilli(nowMillis));
    alarming = (int) rows.stream().filter(r -> r.health().condition().alarming()).count();
    if (rows.isEmpty() && published == null) {
      return; // never had a camera: no panel
    }
    String json = json(rows);
    if (!json.equals(published)) {
      broadcaster.publishPageWide(Broadcaster.CAMERAS, json);
      published = json;
    }
  }

  /** Cameras that need attention at the last judgement (thread-safe). */
  public int alarming() {
    return alarming;
  }

  /** Every camera the panel lists, as of {@code now}, in the panel's order. */
  List<Row> rows(Instant now) {
    TreeSet<String> ids = new TreeSet<>(definitions.keySet());
    ids.addAll(reports.keySet());
    List<Row> rows = new ArrayList<>(ids.size());
    for (String id : ids) {
      Defined definition = definitions.get(id);
      CameraStatus status = reports.get(id);
      if (definition != null) {
        rows.add(
            new Row(
                id,
                true,
                definition.enabled(),
                definition.url(),
                definition.labels(),
                CameraHealth.of(id, definition.enabled(), status, now)));
      } else if (listedUndefined(id, status)) {
        rows.add(new Row(id, false, true, null, Map.of(), CameraHealth.of(id, true, status, now)));
      }
    }
    rows.sort(ORDER);
    return rows;
  }

  /**
   * Whether a camera that reports but is not defined is listed: not when its owner stopped it
   * (nothing says it should run), nor when the report is from before its removal.
   */
  private boolean listedUndefined(String camera, CameraStatus status) {
    if (status.getState() == CameraRunState.STOPPED) {
      return false;
    }
    Long removed = removedAt.get(camera);
    return removed == null || status.getReportedAt().toEpochMilli() > removed;
  }

  /** The panel update: how many cameras in all and need attention, and the first rows. */
  static String json(List<Row> rows) {
    StringWriter out = new StringWriter(256 + 320 * Math.min(rows.size(), MAX_ROWS));
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeNumberField("total", rows.size());
      g.writeNumberField(
          "alarming", rows.stream().filter(r -> r.health().condition().alarming()).count());
      g.writeArrayFieldStart("cameras");
      for (Row row : rows.subList(0, Math.min(rows.size(), MAX_ROWS))) {
        row(g, row);
      }
      g.writeEndArray();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  private static void row(JsonGenerator g, Row row) throws IOException {
    CameraHealth health = row.health();
    CameraStatus status = health.status();
    g.writeStartObject();
    g.writeStringField("camera", row.camera());
    g.writeBooleanField("defined", row.defined());
    g.writeBooleanField("enabled", row.enabled());
    if (row.url() != null) {
      g.writeStringField("url", row.url());
    }
    g.writeObjectFieldStart("labels");
    for (Map.Entry<String, String> label : row.labels().entrySet()) {
      g.writeStringField(label.getKey(), label.getValue());
    }
    g.writeEndObject();
    g.writeStringField("condition", health.condition().word());
    g.writeBooleanField("alarming", health.condition().alarming());
    g.writeStringField("summary", health.summary());
    if (status != null) {
      g.writeNumberField("fps", health.fps());
      if (status.getLastFrameTime() != null) {
        g.writeNumberField("lastFrameTime", status.getLastFrameTime().toEpochMilli());
      }
      g.writeNumberField("reconnects", status.getReconnects());
      g.writeNumberField("framesSent", status.getFramesSent());
      g.writeStringField("owner", status.getOwner());
      g.writeNumberField("reportedAt", status.getReportedAt().toEpochMilli());
      String error = health.lastError();
      if (error != null) {
        g.writeStringField("lastError", error);
      }
    }
    g.writeEndObject();
  }
}
