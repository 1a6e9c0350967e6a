package io.maskstream.sinks.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.broker.testing.TcpCutProxy;
import io.maskstream.sinks.EventSamples;
import io.maskstream.sinks.SinkConfig;
import io.maskstream.sinks.SinkRun;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Against the machine's PostgreSQL (127.0.0.1:5432, database {@code test}, trust auth); each run
 * uses its own schema and drops it at the end. Each test feeds its own cameras and counts only
 * them, since the topics are shared by the tests of the class.
 */
class PostgresSinkIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  static final String URL =
      System.getProperty("maskstream.it.jdbc-url", "jdbc:postgresql://127.0.0.1:5432/test");
  static final String USER = System.getProperty("maskstream.it.db-user", "postgres");
  static final String SCHEMA = "sinks_it_" + Long.toHexString(System.nanoTime());

  @BeforeAll
  static void setUp() {
    try (Connection c = DriverManager.getConnection(URL, USER, null)) {
      Assumptions.assumeTrue(c.isValid(5));
    } catch (SQLException e) {
      Assumptions.abort("no PostgreSQL at " + URL + ": " + e.getMessage());
    }
    EventSamples.createTopics(kafka);
  }

  @AfterAll
  static void dropSchema() throws SQLException {
    try (Connection c = DriverManager.getConnection(URL, USER, null);
        Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
    } catch (SQLException e) {
      // no database: the tests were skipped
    }
  }

  private static SinkConfig config(String group) {
    return SinkConfig.of(EventSamples.clientProperties(kafka.bootstrapServers()), group, -1);
  }

  private static SinkConfig.Postgres db(String url) {
    return new SinkConfig.Postgres(url, USER, null, SCHEMA, 50, Duration.ofSeconds(1));
  }

  /** Feeds {@code frames} frames of {@code camera}, with (seq % 4) instances each. */
  private static int feed(EventSamples samples, String camera, int from, int to) {
    int instances = 0;
    for (int seq = from; seq < to; seq++) {
      int n = seq % 4;
      samples.send(EventSamples.detections(camera, seq, "v1", n, "label-" + (seq % 2)));
      samples.send(EventSamples.masks(camera, seq, "v1", n));
      instances += n;
    }
    samples.flush();
    return instances;
  }

  private static long count(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(URL, USER, null);
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery(sql.replace("$S", SCHEMA))) {
      r.next();
      return r.getLong(1);
    }
  }

  private static long rows(String table, String cameraPrefix) throws SQLException {
    return count("SELECT count(*) FROM $S." + table + " WHERE camera LIKE '" + cameraPrefix + "%'");
  }

  /** Total count minus distinct keys: any duplicate would show here (the primary key forbids). */
  private static void assertOneRowPerKey(String cameraPrefix, int frames, int instances)
      throws SQLException {
    assertThat(rows("frames", cameraPrefix)).isEqualTo(frames);
    assertThat(rows("detections", cameraPrefix)).isEqualTo(instances);
    assertThat(rows("masks", cameraPrefix)).isEqualTo(instances);
    assertThat(
            count(
                "SELECT count(*) FROM $S.detections_with_masks WHERE camera LIKE '"
                    + cameraPrefix
                    + "%' AND mask_counts IS NOT NULL"))
        .isEqualTo(instances);
  }

  @Test
  void replayingTheSameEventsTwiceLeavesOneRowEach() throws Exception {
    int instances;
    try (EventSamples samples = new EventSamples(kafka.bootstrapServers())) {
      instances = feed(samples, "replay-a", 0, 40);
      instances += feed(samples, "replay-b", 0, 40);
      // the same events once more on the topics
      feed(samples, "replay-a", 0, 40);
      feed(samples, "replay-b", 0, 40);
    }
    int expected = instances;
    try (SinkRun run = new SinkRun(new PostgresSink(config("pg-replay-1"), db(URL)), "pg-1")) {
      await()
          .atMost(Duration.ofSeconds(90))
          .untilAsserted(() -> assertThat(rows("detections", "replay-")).isEqualTo(expected));
    }
    // a second group replays the topics from the start
    try (SinkRun run = new SinkRun(new PostgresSink(config("pg-replay-2"), db(URL)), "pg-2")) {
      await().atMost(Duration.ofSeconds(90)).until(() -> committedAll("pg-replay-2"));
    }
    assertOneRowPerKey("replay-", 80, expected);
    // the indexes the two typical questions use exist
    assertThat(
            count(
                "SELECT count(*) FROM pg_indexes WHERE schemaname = '$S' AND indexname IN"
                    + " ('frames_camera_capture_time', 'detections_label_capture_time',"
                    + " 'detections_class_capture_time', 'detections_camera_capture_time')"))
        .isEqualTo(4);
    assertThat(
            count(
                "SELECT count(DISTINCT (camera, sequence)) FROM $S.detections"
                    + " WHERE label = 'label-1' AND camera LIKE 'replay-%'"))
        .isEqualTo(40); // the odd sequences (1 or 3 instances each) of two cameras
  }

  @Test
  void keypointsAreStoredWithTheirNames() throws Exception {
    try (EventSamples samples = new EventSamples(kafka.bootstrapServers())) {
      samples.send(
          EventSamples.withKeypoints(EventSamples.detections("points-", 1, "v1", 2, "person")));
      samples.send(EventSamples.masks("points-", 1, "v1", 2));
      samples.send(EventSamples.detections("points-", 2, "v1", 1, "person"));
      samples.send(EventSamples.masks("points-", 2, "v1", 1));
      samples.flush();
    }
    try (SinkRun run = new SinkRun(new PostgresSink(config("pg-points"), db(URL)), "pg-points")) {
      await()
          .atMost(Duration.ofSeconds(90))
          .untilAsserted(() -> assertThat(rows("detections", "points-")).isEqualTo(3));
    }
    assertThat(
            count(
                "SELECT count(*) FROM $S.detections WHERE camera = 'points-' AND sequence = 1"
                    + " AND detection_index = 1 AND keypoints->0->>'name' = 'head'"
                    + " AND (keypoints->1->>'x')::real = 18 AND (keypoints->0->>'score')::real ="
                    + " 2.5"))
        .isEqualTo(1);
    assertThat(
            count(
                "SELECT count(*) FROM $S.detections WHERE camera = 'points-' AND sequence = 2"
                    + " AND keypoints IS NULL"))
        .isEqualTo(1);
  }

  @Test
  void aCrashBetweenTheDatabaseCommitAndTheOffsetCommitLosesAndDuplicatesNothing()
      throws Exception {
    int instances;
    try (EventSamples samples = new EventSamples(kafka.bootstrapServers())) {
      instances = feed(samples, "crash-", 0, 60);
    }
    AtomicInteger commits = new AtomicInteger();
    PostgresSink crashing =
        new PostgresSink(
            config("pg-crash"),
            db(URL),
            () -> {
              if (commits.incrementAndGet() == 1) {
                throw new SimulatedCrash();
              }
            });
    SinkRun first = new SinkRun(crashing, "pg-crash-1");
    assertThat(first.awaitFailure()).isInstanceOf(SimulatedCrash.class);
    // the first batch is in the database, its offsets are not committed
    assertThat(rows("frames", "crash-")).isPositive();
    assertThat(committedOffsets("pg-crash")).isEmpty();

    try (SinkRun second =
        new SinkRun(new PostgresSink(config("pg-crash"), db(URL)), "pg-crash-2")) {
      await().atMost(Duration.ofSeconds(90)).until(() -> committedAll("pg-crash"));
    }
    assertOneRowPerKey("crash-", 60, instances);
  }

  @Test
  void aDatabaseOutageDuringARunLosesNothing() throws Exception {
    try (TcpCutProxy proxy = new TcpCutProxy("127.0.0.1", 5432);
        EventSamples samples = new EventSamples(kafka.bootstrapServers())) {
      String viaProxy = "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/test";
      PostgresSink sink = new PostgresSink(config("pg-outage"), db(viaProxy));
      try (SinkRun run = new SinkRun(sink, "pg-outage")) {
        int before = feed(samples, "outage-", 0, 30);
        await()
            .atMost(Duration.ofSeconds(90))
            .untilAsserted(() -> assertThat(rows("detections", "outage-")).isEqualTo(before));

        proxy.cut();
        int during = feed(samples, "outage-", 30, 90);
        double retriesAtCut = retries(sink);
        await().atMost(Duration.ofSeconds(60)).until(() -> retries(sink) >= retriesAtCut + 2);
        assertThat(run.finished()).as("the sink waits, it does not give up").isFalse();

        proxy.restore();
        await()
            .atMost(Duration.ofSeconds(90))
            .untilAsserted(
                () -> assertThat(rows("detections", "outage-")).isEqualTo(before + during));
        await().atMost(Duration.ofSeconds(60)).until(() -> committedAll("pg-outage"));
        assertOneRowPerKey("outage-", 90, before + during);
      }
    }
  }

  private static double retries(PostgresSink sink) {
    return sink.metrics().registry().get("maskstream.sink.database.retries").counter().count();
  }

  private static Map<TopicPartition, OffsetAndMetadata> committedOffsets(String group)
      throws Exception {
    Properties props = new Properties();
    props.put("bootstrap.servers", kafka.bootstrapServers());
    try (Admin admin = Admin.create(props)) {
      Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
      admin
          .listConsumerGroupOffsets(group)
          .partitionsToOffsetAndMetadata()
          .get()
          .forEach(
              (tp, o) -> {
                if (o != null) {
                  out.put(tp, o);
                }
              });
      return out;
    }
  }

  /** True when the group's committed offsets reach the end of the detections and masks topics. */
  private static boolean committedAll(String group) throws Exception {
    Properties props = new Properties();
    props.put("bootstrap.servers", kafka.bootstrapServers());
    Map<TopicPartition, OffsetAndMetadata> committed = committedOffsets(group);
    try (Admin admin = Admin.create(props)) {
      Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new HashMap<>();
      for (String topic : List.of(EventSamples.TOPICS.detections(), EventSamples.TOPICS.masks())) {
        for (int p = 0; p < 2; p++) {
          latest.put(
              new TopicPartition(topic, p), org.apache.kafka.clients.admin.OffsetSpec.latest());
        }
      }
      var ends = admin.listOffsets(latest).all().get();
      for (var e : ends.entrySet()) {
        long end = e.getValue().offset();
        OffsetAndMetadata c = committed.get(e.getKey());
        if (end > 0 && (c == null || c.offset() < end)) {
          return false;
        }
      }
      return true;
    }
  }

  /** Stands for the process being killed at the worst moment. */
  static final class SimulatedCrash extends Error {
    private static final long serialVersionUID = 1L;
  }
}
