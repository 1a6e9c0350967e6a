package io.maskstream.sinks.postgres;

import io.maskstream.schemas.avro.Detection;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.FrameRef;
import io.maskstream.schemas.avro.InstanceMask;
import io.maskstream.schemas.avro.Masks;
import io.maskstream.schemas.avro.Timings;
import io.maskstream.sinks.join.FrameKey;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * Writes detections and masks events to PostgreSQL tables {@code frames}, {@code detections} and
 * {@code masks} (plus the view {@code detections_with_masks}), which Flyway creates and upgrades.
 *
 * <p>Every write is an upsert keyed by camera, sequence, model version (and detection index), so
 * writing the same events again changes nothing. A batch is one transaction. Thread-safe as far as
 * the data source is; holds no connection between calls.
 */
public final class JdbcEventStore {
  /** Where the migrations live on the classpath. */
  public static final String MIGRATIONS = "classpath:io/maskstream/sinks/postgres/migration";

  private final DataSource dataSource;
  private final String schema;
  private final String upsertFrame;
  private final String upsertDetection;
  private final String upsertMask;

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
            + " class_id, label, score, x1, y1, x2, y2) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            + " ON CONFLICT (camera, sequence, model_version, detection_index) DO UPDATE SET"
            + " capture_time = EXCLUDED.capture_time, class_id = EXCLUDED.class_id,"
            + " label = EXCLUDED.label, score = EXCLUDED.score, x1 = EXCLUDED.x1,"
            + " y1 = EXCLUDED.y1, x2 = EXCLUDED.x2, y2 = EXCLUDED.y2";
    upsertMask =
        "INSERT INTO "
            + s
            + "masks (camera, sequence, model_version, detection_index, capture_time, height,"
            + " width, counts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            + " ON CONFLICT (camera, sequence, model_version, detection_index) DO UPDATE SET"
            + " capture_time = EXCLUDED.capture_time, height = EXCLUDED.height,"
            + " width = EXCLUDED.width, counts = EXCLUDED.counts";
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
    // one row per key per statement: PostgreSQL refuses to update a row twice in one INSERT
    Map<FrameKey, Detections> frames = new LinkedHashMap<>();
    for (Detections d : detections) {
      frames.put(FrameKey.of(d.getFrame(), d.getModel()), d);
    }
    Map<FrameKey, Masks> maskEvents = new LinkedHashMap<>();
    for (Masks m : masks) {
      maskEvents.put(FrameKey.of(m.getFrame(), m.getModel()), m);
    }
    int rows = 0;
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(false);
      try (PreparedStatement frame = connection.prepareStatement(upsertFrame);
          PreparedStatement detection = connection.prepareStatement(upsertDetection);
          PreparedStatement mask = connection.prepareStatement(upsertMask)) {
        for (Detections d : frames.values()) {
          addFrame(frame, d);
          rows += addDetections(detection, d);
        }
        for (Masks m : maskEvents.values()) {
          rows += addMasks(mask, m);
        }
        frame.executeBatch();
        detection.executeBatch();
        mask.executeBatch();
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
      ps.addBatch();
    }
    return i;
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

  private static void rollbackQuietly(Connection connection, Exception failure) {
    try {
      connection.rollback();
    } catch (SQLException e) {
      failure.addSuppressed(e);
    }
  }
}
