package io.maskstream.sinks.postgres;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.maskstream.schemas.avro.Detection;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.FrameRef;
import io.maskstream.schemas.avro.InstanceMask;
import io.maskstream.schemas.avro.Keypoint;
import io.maskstream.schemas.avro.Masks;
import io.maskstream.schemas.avro.ObjectEvent;
import io.maskstream.schemas.avro.Timings;
import io.maskstream.schemas.avro.ZoneEvent;
import io.maskstream.sinks.join.FrameKey;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * Writes detections and masks events to PostgreSQL tables {@code frames}, {@code detections} and
 * {@code masks} (plus the view {@code detections_with_masks}), object events to {@code objects} and
 * zone events to {@code zone_events}, which Flyway creates and upgrades.
 *
 * <p>Every write is an upsert keyed by camera, sequence, model version (and detection index), by
 * camera and track, or by the zone event's own key, so writing the same events again changes
 * nothing; an object event older than what its row has only sets {@code ended} (see {@link
 * ObjectRow}). A batch is one transaction. Thread-safe as far as the data source is; holds no
 * connection between calls.
 */
public final class JdbcEventStore {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Where the migrations live on the classpath. */
  public static final String MIGRATIONS = "classpath:io/maskstream/sinks/postgres/migration";

  private final DataSource dataSource;
  private final String schema;
  private final String upsertFrame;
  private final String upsertDetection;
  private final String upsertMask;
  private final String upsertObject;
  private final String insertZoneEvent;

  /** A store over {@code dataSource} using the tables of {@code schema}. */
  public JdbcEventStore(DataSource dataSource, String schema) {
    this.dataSource = dataSource;
    this.schema = schema;
    String s = "\"" + schema + "\".";
    upsertFrame =
        "INSERT INTO "
            + s
            + "frames (camera, sequence, model_version, model_name, capture_time, processed_time,"
            + " width, height, decode_ms, preprocess_ms, inference_ms, postprocess_ms,"
            + " detection_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            + " ON CONFLICT (camera, sequence, model_version) DO UPDATE SET"
            + " model_name = EXCLUDED.model_name, capture_time = EXCLUDED.capture_time,"
            + " processed_time = EXCLUDED.processed_time, width = EXCLUDED.width,"
            + " height = EXCLUDED.height, decode_ms = EXCLUDED.decode_ms,"
            + " preprocess_ms = EXCLUDED.preprocess_ms, inference_ms = EXCLUDED.inference_ms,"
            + " postprocess_ms = EXCLUDED.postprocess_ms,"
            + " detection_count = EXCLUDED.detection_count";
    upsertDetection =
        "INSERT INTO "
            + s
            + "detections (camera, sequence, model_version, detection_index, capture_time,"
            + " class_id, label, score, x1, y1, x2, y2, keypoints)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS jsonb))"
            + " ON CONFLICT (camera, sequence, model_version, detection_index) DO UPDATE SET"
            + " capture_time = EXCLUDED.capture_time, class_id = EXCLUDED.class_id,"
            + " label = EXCLUDED.label, score = EXCLUDED.score, x1 = EXCLUDED.x1,"
            + " y1 = EXCLUDED.y1, x2 = EXCLUDED.x2, y2 = EXCLUDED.y2,"
            + " keypoints = EXCLUDED.keypoints";
    upsertMask =
        "INSERT INTO "
            + s
            + "masks (camera, sequence, model_version, detection_index, capture_time, height,"
            + " width, counts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            + " ON CONFLICT (camera, sequence, model_version, detection_index) DO UPDATE SET"
            + " capture_time = EXCLUDED.capture_time, height = EXCLUDED.height,"
            + " width = EXCLUDED.width, counts = EXCLUDED.counts";
    upsertObject = upsertObject(s);
    insertZoneEvent =
        "INSERT INTO "
            + s
            + "zone_events (camera, zone, type, track_id, label, direction, frame_sequence,"
            + " frame_time, entered_time, dwell_ms, ended, occupancy, crossings)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS jsonb), CAST(? AS jsonb))"
            + " ON CONFLICT DO NOTHING";
  }

  /**
   * The object upsert: a new track inserts its row; otherwise the last-seen columns take the
   * event's values when the event is not older than the row's (by capture time, then sequence, as
   * {@link ObjectRow#merge}), ended and ended_at_sequence once set stay.
   */
  private static String upsertObject(String s) {
    String newer =
        "(o.event_time, o.event_sequence) <= (EXCLUDED.event_time, EXCLUDED.event_sequence)";
    StringBuilder sql =
        new StringBuilder(
            "INSERT INTO "
                + s
                + "objects AS o (camera, track_id, first_time, label, first_sequence,"
                + " last_sequence, last_time, score, top_score, x1, y1, x2, y2, stationary, zones,"
                + " entered_zones, ended, ended_at_sequence, model_name, model_version,"
                + " event_sequence, event_time, updated_time)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                + " ON CONFLICT (camera, track_id, first_time) DO UPDATE SET"
                + " first_sequence = LEAST(o.first_sequence, EXCLUDED.first_sequence),"
                + " ended = o.ended OR EXCLUDED.ended,"
                + " ended_at_sequence = COALESCE(o.ended_at_sequence, EXCLUDED.ended_at_sequence),"
                + " updated_time = EXCLUDED.updated_time");
    for (String column :
        List.of(
            "label",
            "last_sequence",
            "last_time",
            "score",
            "top_score",
            "x1",
            "y1",
            "x2",
            "y2",
            "stationary",
            "zones",
            "entered_zones",
            "model_name",
            "model_version",
            "event_sequence",
            "event_time")) {
      sql.append(", ")
          .append(column)
          .append(" = CASE WHEN ")
          .append(newer)
          .append(" THEN EXCLUDED.")
          .append(column)
          .append(" ELSE o.")
          .append(column)
          .append(" END");
    }
    // an older event that ends nothing new leaves the row alone, updated_time included
    sql.append(" WHERE ").append(newer).append(" OR (EXCLUDED.ended AND NOT o.ended)");
    return sql.toString();
  }

  /** Creates the schema when missing and applies pending migrations. */
  public void migrate() {
    Flyway.configure()
        .dataSource(dataSource)
        .schemas(schema)
        .defaultSchema(schema)
        .createSchemas(true)
        .locations(MIGRATIONS)
        .load()
        .migrate();
  }

  /**
   * Upserts {@code detections} and {@code masks} in one transaction; a key given twice keeps its
   * last event.
   *
   * @return the number of detection and mask rows written
   */
  public int write(Collection<Detections> detections, Collection<Masks> masks) throws SQLException {
    return write(detections, masks, List.of(), List.of());
  }

  /**
   * Upserts {@code detections}, {@code masks}, {@code objects} and {@code zoneEvents} in one
   * transaction; a detections or masks key given twice keeps its last event, a track's object
   * events are folded into its row ({@link ObjectRow#fold}), a zone event given twice is one row.
   *
   * @return the number of detection, mask, object and zone event rows written
   */
  public int write(
      Collection<Detections> detections,
      Collection<Masks> masks,
      Collection<ObjectEvent> objects,
      Collection<ZoneEvent> zoneEvents)
      throws SQLException {
    // one row per key per statement: PostgreSQL refuses to update a row twice in one INSERT
    Map<FrameKey, Detections> frames = new LinkedHashMap<>();
    for (Detections d : detections) {
      frames.put(FrameKey.of(d.getFrame(), d.getModel()), d);
    }
    Map<FrameKey, Masks> maskEvents = new LinkedHashMap<>();
    for (Masks m : masks) {
      maskEvents.put(FrameKey.of(m.getFrame(), m.getModel()), m);
    }
    Collection<ObjectRow> objectRows = ObjectRow.fold(objects);
    Collection<ZoneEventRow> zoneRows = ZoneEventRow.distinct(zoneEvents);
    int rows = 0;
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(false);
      try (PreparedStatement frame = connection.prepareStatement(upsertFrame);
          PreparedStatement detection = connection.prepareStatement(upsertDetection);
          PreparedStatement mask = connection.prepareStatement(upsertMask);
          PreparedStatement object = connection.prepareStatement(upsertObject);
          PreparedStatement zone = connection.prepareStatement(insertZoneEvent)) {
        for (Detections d : frames.values()) {
          addFrame(frame, d);
          rows += addDetections(detection, d);
        }
        for (Masks m : maskEvents.values()) {
          rows += addMasks(mask, m);
        }
        Timestamp now = Timestamp.from(Instant.now());
        for (ObjectRow o : objectRows) {
          addObject(connection, object, o, now);
        }
        for (ZoneEventRow z : zoneRows) {
          addZoneEvent(zone, z);
        }
        rows += objectRows.size() + zoneRows.size();
        frame.executeBatch();
        detection.executeBatch();
        mask.executeBatch();
        object.executeBatch();
        zone.executeBatch();
        connection.commit();
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(connection, e);
        throw e;
      }
    }
    return rows;
  }

  private static void addFrame(PreparedStatement ps, Detections d) throws SQLException {
    FrameRef f = d.getFrame();
    Timings t = d.getTimings();
    ps.setString(1, f.getCamera());
    ps.setLong(2, f.getSequence());
    ps.setString(3, d.getModel().getVersion());
    ps.setString(4, d.getModel().getName());
    ps.setTimestamp(5, Timestamp.from(f.getCaptureTime()));
    if (t.getProcessedTime() == null || t.getProcessedTime().toEpochMilli() <= 0) {
      ps.setNull(6, Types.TIMESTAMP_WITH_TIMEZONE);
    } else {
      ps.setTimestamp(6, Timestamp.from(t.getProcessedTime()));
    }
    ps.setInt(7, f.getWidth());
    ps.setInt(8, f.getHeight());
    ps.setFloat(9, t.getDecodeMs());
    ps.setFloat(10, t.getPreprocessMs());
    ps.setFloat(11, t.getInferenceMs());
    ps.setFloat(12, t.getPostprocessMs());
    ps.setInt(13, d.getDetections().size());
    ps.addBatch();
  }

  private static int addDetections(PreparedStatement ps, Detections d) throws SQLException {
    FrameRef f = d.getFrame();
    int i = 0;
    for (Detection det : d.getDetections()) {
      ps.setString(1, f.getCamera());
      ps.setLong(2, f.getSequence());
      ps.setString(3, d.getModel().getVersion());
      ps.setInt(4, i++);
      ps.setTimestamp(5, Timestamp.from(f.getCaptureTime()));
      ps.setInt(6, det.getClassId());
      ps.setString(7, det.getLabel());
      ps.setFloat(8, det.getScore());
      ps.setFloat(9, det.getBox().getX1());
      ps.setFloat(10, det.getBox().getY1());
      ps.setFloat(11, det.getBox().getX2());
      ps.setFloat(12, det.getBox().getY2());
      ps.setString(13, keypointsJson(det, d.getKeypointNames()));
      ps.addBatch();
    }
    return i;
  }

  /** A detection's keypoints as {@code [{"name", "x", "y", "score"}, ...]}, or null. */
  static String keypointsJson(Detection det, List<String> names) {
    if (det.getKeypoints() == null) {
      return null;
    }
    ArrayNode out = JSON.createArrayNode();
    for (int k = 0; k < det.getKeypoints().size(); k++) {
      Keypoint p = det.getKeypoints().get(k);
      ObjectNode point = out.addObject();
      if (k < names.size()) {
        point.put("name", names.get(k));
      }
      point.put("x", p.getX());
      point.put("y", p.getY());
      point.put("score", p.getScore());
    }
    return out.toString();
  }

  private static int addMasks(PreparedStatement ps, Masks m) throws SQLException {
    FrameRef f = m.getFrame();
    Map<Integer, InstanceMask> byIndex = new LinkedHashMap<>();
    for (InstanceMask mask : m.getMasks()) {
      byIndex.put(mask.getDetectionIndex(), mask);
    }
    for (InstanceMask mask : byIndex.values()) {
      ps.setString(1, f.getCamera());
      ps.setLong(2, f.getSequence());
      ps.setString(3, m.getModel().getVersion());
      ps.setInt(4, mask.getDetectionIndex());
      ps.setTimestamp(5, Timestamp.from(f.getCaptureTime()));
      ps.setInt(6, mask.getRle().getHeight());
      ps.setInt(7, mask.getRle().getWidth());
      ps.setString(8, mask.getRle().getCounts());
      ps.addBatch();
    }
    return byIndex.size();
  }

  private static void addObject(Connection c, PreparedStatement ps, ObjectRow o, Timestamp now)
      throws SQLException {
    ps.setString(1, o.key().camera());
    ps.setLong(2, o.key().trackId());
    ps.setTimestamp(3, Timestamp.from(o.key().firstTime()));
    ps.setString(4, o.label());
    ps.setLong(5, o.firstSequence());
    ps.setLong(6, o.lastSequence());
    ps.setTimestamp(7, Timestamp.from(o.lastTime()));
    ps.setFloat(8, o.score());
    ps.setFloat(9, o.topScore());
    ps.setFloat(10, o.x1());
    ps.setFloat(11, o.y1());
    ps.setFloat(12, o.x2());
    ps.setFloat(13, o.y2());
    ps.setBoolean(14, o.stationary());
    ps.setArray(15, c.createArrayOf("text", o.zones().toArray()));
    ps.setArray(16, c.createArrayOf("text", o.enteredZones().toArray()));
    ps.setBoolean(17, o.ended());
    if (o.endedAtSequence() == null) {
      ps.setNull(18, Types.BIGINT);
    } else {
      ps.setLong(18, o.endedAtSequence());
    }
    ps.setString(19, o.modelName());
    ps.setString(20, o.modelVersion());
    ps.setLong(21, o.eventSequence());
    ps.setTimestamp(22, Timestamp.from(o.eventTime()));
    ps.setTimestamp(23, now);
    ps.addBatch();
  }

  private static void addZoneEvent(PreparedStatement ps, ZoneEventRow z) throws SQLException {
    ZoneEvent e = z.event();
    ps.setString(1, e.getCamera());
    ps.setString(2, e.getZone());
    ps.setString(3, e.getType().name());
    ps.setLong(4, e.getTrackId());
    ps.setString(5, e.getLabel());
    ps.setString(6, e.getDirection());
    ps.setLong(7, e.getFrameSequence());
    ps.setTimestamp(8, Timestamp.from(e.getFrameTime()));
    if (e.getEnteredTime() == null) {
      ps.setNull(9, Types.TIMESTAMP_WITH_TIMEZONE);
    } else {
      ps.setTimestamp(9, Timestamp.from(e.getEnteredTime()));
    }
    if (e.getDwellMillis() == null) {
      ps.setNull(10, Types.BIGINT);
    } else {
      ps.setLong(10, e.getDwellMillis());
    }
    ps.setBoolean(11, e.getEnded());
    ps.setString(12, z.occupancy());
    ps.setString(13, z.crossings());
    ps.addBatch();
  }

  private static void rollbackQuietly(Connection connection, Exception failure) {
    try {
      connection.rollback();
    } catch (SQLException e) {
      failure.addSuppressed(e);
    }
  }
}
