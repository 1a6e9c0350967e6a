package io.maskstream.sinks.postgres;

import static io.maskstream.schemas.avro.ObjectEventType.END;
import static io.maskstream.schemas.avro.ObjectEventType.NEW;
import static io.maskstream.schemas.avro.ObjectEventType.UPDATE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.avro.DeadLetter;
import io.maskstream.schemas.avro.ObjectEvent;
import io.maskstream.schemas.avro.ZoneEvent;
import io.maskstream.sinks.EventSamples;
import io.maskstream.sinks.SinkConfig;
import io.maskstream.sinks.SinkRun;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The objects and zone_events tables against the machine's PostgreSQL (127.0.0.1:5432, database
 * {@code test}, trust auth), in a schema of their own dropped at the end. Each test feeds its own
 * cameras and looks only at them.
 */
class PostgresObjectsIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  static final String URL =
      System.getProperty("maskstream.it.jdbc-url", "jdbc:postgresql://127.0.0.1:5432/test");
  static final String USER = System.getProperty("maskstream.it.db-user", "postgres");
  static final String SCHEMA = "objects_it_" + Long.toHexString(System.nanoTime());

  /** Every column but updated_time (when the sink wrote the row). */
  static final String OBJECT_COLUMNS =
      "camera, track_id, first_time, label, first_sequence, last_sequence, last_time, score,"
          + " top_score, x1, y1, x2, y2, stationary, zones, entered_zones, ended,"
          + " ended_at_sequence, model_name, model_version, event_sequence, event_time";

  private final AvroSerde<ObjectEvent> objects = new AvroSerde<>(ObjectEvent.class);
  private final AvroSerde<ZoneEvent> zoneEvents = new AvroSerde<>(ZoneEvent.class);

  @BeforeAll
  static void setUp() {
    try (Connection c = DriverManager.getConnection(URL, USER, null)) {
      Assumptions.assumeTrue(c.isValid(5));
    } catch (SQLException e) {
      Assumptions.abort("no PostgreSQL at " + URL + ": " + e.getMessage());
    }
    EventSamples.createTopics(kafka);
    kafka.createTopic(EventSamples.TOPICS.objects(), 2);
    kafka.createTopic(EventSamples.TOPICS.zoneEvents(), 2);
  }

  @AfterAll
  static void dropSchema() {
    try (Connection c = DriverManager.getConnection(URL, USER, null);
        Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
    } catch (SQLException e) {
      // no database: the tests were skipped
    }
  }

  @Test
  void aTracksEventsMakeOneRowWithItsFirstLastAndEnd() throws Exception {
    try (EventSamples samples = new EventSamples(kafka.bootstrapServers())) {
      send(samples, TrackEvents.object(NEW, "life", 1, 3, 5, List.of()));
      send(samples, TrackEvents.object(UPDATE, "life", 1, 3, 40, List.of("dock")));
      send(samples, TrackEvents.object(END, "life", 1, 3, 90, List.of()));
      // a track whose NEW came before the sink's time: its row is made from what it has
      send(samples, TrackEvents.object(UPDATE, "life", 2, 10, 50, List.of("dock", "yard")));
      samples.flush();
    }
    try (SinkRun run = new SinkRun(sink("pg-objects-life"), "pg-objects-life")) {
      await().atMost(Duration.ofSeconds(90)).until(() -> committedAll("pg-objects-life"));
    }
    List<Map<String, String>> rows = objectRows("life");
    assertThat(rows).hasSize(2);
    Map<String, String> ended = rows.get(0);
    assertThat(ended)
        .containsEntry("track_id", "1")
        .containsEntry("first_sequence", "3")
        .containsEntry("first_time", ts(3))
        .containsEntry("last_sequence", "85")
        .containsEntry("last_time", ts(85))
        .containsEntry("x1", "85")
        .containsEntry("ended", "t")
        .containsEntry("ended_at_sequence", "90")
        .containsEntry("event_sequence", "90")
        .containsEntry("zones", "{}")
        .containsEntry("entered_zones", "{}")
        .containsEntry("label", "car")
        .containsEntry("model_name", "test-model")
        .containsEntry("model_version", "v1");
    Map<String, String> joinedLate = rows.get(1);
    assertThat(joinedLate)
        .containsEntry("track_id", "2")
        .containsEntry("first_sequence", "10")
        .containsEntry("first_time", ts(10))
        .containsEntry("last_sequence", "50")
        .containsEntry("ended", "f")
        .containsEntry("zones", "{dock,yard}")
        .containsEntry("stationary", "t");
    assertThat(joinedLate.get("ended_at_sequence")).isNull();
    // the indexes of the typical questions exist
    assertThat(
            count(
                "SELECT count(*) FROM pg_indexes WHERE schemaname = '$S' AND indexname IN"
                    + " ('objects_camera_first_time', 'objects_camera_last_time',"
                    + " 'objects_label_first_time', 'zone_events_camera_frame_time')"))
        .isEqualTo(4);
  }

  @Test
  void eventsDeliveredAgainLeaveTheSameRows() throws Exception {
    try (EventSamples samples = new EventSamples(kafka.bootstrapServers())) {
      feedTwice(samples, "again-a");
      feedTwice(samples, "again-b");
    }
    try (SinkRun run = new SinkRun(sink("pg-objects-again-1"), "pg-objects-again-1")) {
      await().atMost(Duration.ofSeconds(90)).until(() -> committedAll("pg-objects-again-1"));
    }
    List<Map<String, String>> objectsOnce = objectRows("again-");
    List<Map<String, String>> zonesOnce = zoneRows("again-");
    assertThat(objectsOnce).hasSize(2 * 3);
    assertThat(zonesOnce).hasSize(2 * 3);
    assertThat(objectsOnce).allSatisfy(r -> assertThat(r).containsEntry("ended", "t"));

    // a second group reads everything again into the same tables
    try (SinkRun run = new SinkRun(sink("pg-objects-again-2"), "pg-objects-again-2")) {
      await().atMost(Duration.ofSeconds(90)).until(() -> committedAll("pg-objects-again-2"));
    }
    assertThat(objectRows("again-")).isEqualTo(objectsOnce);
    assertThat(zoneRows("again-")).isEqualTo(zonesOnce);
  }

  /** Three tracks of {@code camera}, each with NEW, UPDATE, END and one zone event; twice over. */
  private void feedTwice(EventSamples samples, String camera) {
    for (int round = 0; round < 2; round++) {
      for (long track = 1; track <= 3; track++) {
        long first = track * 100;
        send(samples, TrackEvents.object(NEW, camera, track, first, first + 2, List.of()));
        send(samples, TrackEvents.enter(camera, "dock", track, first + 10, track));
        send(
            samples, TrackEvents.object(UPDATE, camera, track, first, first + 10, List.of("dock")));
        send(samples, TrackEvents.object(END, camera, track, first, first + 60, List.of()));
      }
    }
    samples.flush();
  }

  @Test
  void aCrashBetweenTheDatabaseCommitAndTheOffsetCommitLosesAndDuplicatesNothing()
      throws Exception {
    try (EventSamples samples = new EventSamples(kafka.bootstrapServers())) {
      for (long track = 1; track <= 40; track++) {
        long first = track * 100;
        send(samples, TrackEvents.object(NEW, "crash", track, first, first + 2, List.of()));
        send(samples, TrackEvents.enter("crash", "dock", track, first + 10, track));
        send(samples, TrackEvents.object(END, "crash", track, first, first + 60, List.of()));
      }
      samples.flush();
    }
    AtomicInteger commits = new AtomicInteger();
    SinkConfig config =
        SinkConfig.of(
            EventSamples.clientProperties(kafka.bootstrapServers()), "pg-objects-crash", -1);
    PostgresSink crashing =
        new PostgresSink(
            config,
            new SinkConfig.Postgres(URL, USER, null, SCHEMA, 50, Duration.ofSeconds(1)),
            () -> {
              if (commits.incrementAndGet() == 1) {
                throw new PostgresSinkIT.SimulatedCrash();
              }
            });
    SinkRun first = new SinkRun(crashing, "pg-objects-crash-1");
    assertThat(first.awaitFailure()).isInstanceOf(PostgresSinkIT.SimulatedCrash.class);
    assertThat(objectRows("crash").size() + zoneRows("crash").size()).isPositive();

    try (SinkRun second = new SinkRun(sink("pg-objects-crash"), "pg-objects-crash-2")) {
      await().atMost(Duration.ofSeconds(90)).until(() -> committedAll("pg-objects-crash"));
    }
    assertThat(objectRows("crash"))
        .hasSize(40)
        .allSatisfy(r -> assertThat(r).containsEntry("ended", "t"));
    assertThat(zoneRows("crash")).hasSize(40);
  }

  @Test
  void anOlderEventArrivingLaterDoesNotMoveTheRowBack() throws Exception {
    try (EventSamples samples = new EventSamples(kafka.bootstrapServers());
        SinkRun run = new SinkRun(sink("pg-objects-order"), "pg-objects-order")) {
      send(samples, TrackEvents.object(NEW, "order", 1, 3, 5, List.of()));
      send(samples, TrackEvents.object(UPDATE, "order", 1, 3, 40, List.of("dock")));
      send(samples, TrackEvents.object(NEW, "order", 2, 3, 5, List.of()));
      send(samples, TrackEvents.object(END, "order", 2, 3, 90, List.of()));
      samples.flush();
      await()
          .atMost(Duration.ofSeconds(90))
          .untilAsserted(
              () ->
                  assertThat(
                          count(
                              "SELECT count(*) FROM $S.objects WHERE camera = 'order'"
                                  + " AND event_sequence IN (40, 90)"))
                      .isEqualTo(2));
      List<Map<String, String>> before = objectRows("order");

      // written in a later transaction than the rows they are older than
      send(samples, TrackEvents.object(UPDATE, "order", 1, 3, 20, List.of("gate")));
      send(samples, TrackEvents.object(UPDATE, "order", 2, 3, 60, List.of("gate")));
      samples.flush();
      await().atMost(Duration.ofSeconds(90)).until(() -> committedAll("pg-objects-order"));
      assertThat(objectRows("order")).isEqualTo(before);
      assertThat(before.get(0))
          .containsEntry("last_sequence", "40")
          .containsEntry("zones", "{dock}")
          .containsEntry("ended", "f");
      assertThat(before.get(1)).containsEntry("ended", "t").containsEntry("last_sequence", "85");

      // an END older than what a row has still ends it, leaving its last-seen columns
      send(samples, TrackEvents.object(UPDATE, "order", 3, 3, 95, List.of("dock")));
      samples.flush();
      await()
          .atMost(Duration.ofSeconds(90))
          .untilAsserted(() -> assertThat(objectRows("order")).hasSize(3));
      send(samples, TrackEvents.object(END, "order", 3, 3, 90, List.of()));
      samples.flush();
      await()
          .atMost(Duration.ofSeconds(90))
          .untilAsserted(
              () ->
                  assertThat(objectRows("order").get(2))
                      .containsEntry("ended", "t")
                      .containsEntry("ended_at_sequence", "90")
                      .containsEntry("last_sequence", "95")
                      .containsEntry("zones", "{dock}"));
    }
  }

  @Test
  void zoneEventsLandOnceEachWithTheirCounts() throws Exception {
    try (EventSamples samples = new EventSamples(kafka.bootstrapServers())) {
      for (int round = 0; round < 2; round++) {
        send(samples, TrackEvents.enter("zones", "dock", 1, 10, 1));
        send(samples, TrackEvents.enter("zones", "dock", 2, 12, 2));
        send(samples, TrackEvents.cross("zones", "gate", 1, 20, 1));
        send(samples, TrackEvents.cross("zones", "gate", 2, 21, 2));
      }
      samples.flush();
    }
    try (SinkRun run = new SinkRun(sink("pg-objects-zones"), "pg-objects-zones")) {
      await().atMost(Duration.ofSeconds(90)).until(() -> committedAll("pg-objects-zones"));
    }
    List<Map<String, String>> rows = zoneRows("zones");
    assertThat(rows).hasSize(4);
    assertThat(rows.get(0))
        .containsEntry("zone", "dock")
        .containsEntry("type", "ENTER")
        .containsEntry("track_id", "1")
        .containsEntry("frame_sequence", "10")
        .containsEntry("frame_time", ts(10))
        .containsEntry("entered_time", ts(10))
        .containsEntry("ended", "f")
        .containsEntry("occupancy", "{\"car\": 1, \"person\": 1}")
        .containsEntry("crossings", "[]");
    assertThat(rows.get(0).get("direction")).isNull();
    assertThat(rows.get(0).get("dwell_ms")).isNull();
    assertThat(rows.get(3))
        .containsEntry("zone", "gate")
        .containsEntry("type", "CROSS")
        .containsEntry("direction", "in")
        .containsEntry("occupancy", "{}");
    // the JSON can be asked
    assertThat(
            count(
                "SELECT (occupancy->>'car')::bigint FROM $S.zone_events"
                    + " WHERE camera = 'zones' AND zone = 'dock' AND track_id = 2"))
        .isEqualTo(2);
    assertThat(
            count(
                "SELECT sum((c->>'count')::bigint) FROM $S.zone_events,"
                    + " jsonb_array_elements(crossings) c WHERE camera = 'zones'"
                    + " AND track_id = 2 AND c->>'direction' = 'in'"))
        .isEqualTo(2);
  }

  @Test
  void aRecordThatDoesNotDecodeGoesToTheDeadLetterTopicAndTheStreamGoesOn() throws Exception {
    try (EventSamples samples = new EventSamples(kafka.bootstrapServers())) {
      send(samples, TrackEvents.object(NEW, "garbage", 1, 3, 5, List.of()));
      samples.sendRaw(
          EventSamples.TOPICS.objects(),
          "garbage",
          "not an object event".getBytes(StandardCharsets.UTF_8));
      samples.sendRaw(EventSamples.TOPICS.zoneEvents(), "garbage", new byte[] {(byte) 0xC3, 1, 2});
      send(samples, TrackEvents.object(UPDATE, "garbage", 1, 3, 40, List.of("dock")));
      send(samples, TrackEvents.enter("garbage", "dock", 1, 40, 1));
      samples.flush();
    }
    try (SinkRun run = new SinkRun(sink("pg-objects-garbage"), "pg-objects-garbage")) {
      await().atMost(Duration.ofSeconds(90)).until(() -> committedAll("pg-objects-garbage"));
    }
    assertThat(objectRows("garbage"))
        .singleElement()
        .satisfies(r -> assertThat(r).containsEntry("last_sequence", "40"));
    assertThat(zoneRows("garbage")).hasSize(1);
    List<DeadLetter> letters = new ArrayList<>();
    for (DeadLetter d : EventSamples.deadLetters(kafka.bootstrapServers())) {
      if (d.getStage().equals("sink-postgres")
          && d.getKey() != null
          && StandardCharsets.UTF_8.decode(d.getKey().duplicate()).toString().equals("garbage")) {
        letters.add(d);
      }
    }
    assertThat(letters)
        .extracting(DeadLetter::getSourceTopic)
        .containsExactlyInAnyOrder(EventSamples.TOPICS.objects(), EventSamples.TOPICS.zoneEvents());
    assertThat(letters).allSatisfy(d -> assertThat(d.getReason()).isNotBlank());
  }

  private void send(EventSamples samples, ObjectEvent e) {
    String topic = EventSamples.TOPICS.objects();
    samples.sendRaw(topic, e.getCamera(), objects.serialize(topic, e));
  }

  private void send(EventSamples samples, ZoneEvent e) {
    String topic = EventSamples.TOPICS.zoneEvents();
    samples.sendRaw(topic, e.getCamera(), zoneEvents.serialize(topic, e));
  }

  private static PostgresSink sink(String group) {
    SinkConfig config =
        SinkConfig.of(EventSamples.clientProperties(kafka.bootstrapServers()), group, -1);
    return new PostgresSink(
        config, new SinkConfig.Postgres(URL, USER, null, SCHEMA, 50, Duration.ofSeconds(1)));
  }

  /** The capture time of frame {@code sequence} as {@link #query} gives it. */
  private static String ts(long sequence) {
    return TrackEvents.time(sequence).toString();
  }

  private static List<Map<String, String>> objectRows(String cameraPrefix) throws SQLException {
    return query(
        "SELECT "
            + OBJECT_COLUMNS
            + " FROM $S.objects WHERE camera LIKE '"
            + cameraPrefix
            + "%' ORDER BY camera, track_id, first_time");
  }

  private static List<Map<String, String>> zoneRows(String cameraPrefix) throws SQLException {
    return query(
        "SELECT * FROM $S.zone_events WHERE camera LIKE '"
            + cameraPrefix
            + "%' ORDER BY camera, frame_time, zone, track_id, type");
  }

  /** The rows as text, as PostgreSQL prints them, but timestamps as {@link Instant#toString}. */
  private static List<Map<String, String>> query(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(URL, USER, null);
        Statement s = c.createStatement()) {
      try (ResultSet r = s.executeQuery(sql.replace("$S", SCHEMA))) {
        List<Map<String, String>> out = new ArrayList<>();
        while (r.next()) {
          Map<String, String> row = new HashMap<>();
          for (int i = 1; i <= r.getMetaData().getColumnCount(); i++) {
            String name = r.getMetaData().getColumnName(i);
            if (r.getMetaData().getColumnType(i) == Types.TIMESTAMP) {
              Timestamp t = r.getTimestamp(i);
              row.put(name, t == null ? null : t.toInstant().toString());
            } else {
              row.put(name, r.getString(i));
            }
          }
          out.add(row);
        }
        return out;
      }
    }
  }

  private static long count(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(URL, USER, null);
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery(sql.replace("$S", SCHEMA))) {
      r.next();
      return r.getLong(1);
    }
  }

  /**
   * True when the group's committed offsets reach the end of the objects and zone-events topics.
   */
  private static boolean committedAll(String group) throws Exception {
    Properties props = new Properties();
    props.put("bootstrap.servers", kafka.bootstrapServers());
    try (Admin admin = Admin.create(props)) {
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (String topic :
          List.of(EventSamples.TOPICS.objects(), EventSamples.TOPICS.zoneEvents())) {
        for (int p = 0; p < 2; p++) {
          latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
      }
      for (var e : admin.listOffsets(latest).all().get().entrySet()) {
        long end = e.getValue().offset();
        OffsetAndMetadata c = committed.get(e.getKey());
        if (end > 0 && (c == null || c.offset() < end)) {
          return false;
        }
      }
      return true;
    }
  }
}
