package io.maskstream.sinks.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.sinks.EventSamples;
import io.maskstream.sinks.Sink;
import io.maskstream.sinks.SinkConfig;
import io.maskstream.sinks.SinkRun;
import io.maskstream.sinks.jsonl.JsonlSink;
import io.maskstream.sinks.postgres.PostgresSink;
import io.maskstream.sinks.web.WebSink;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.GroupState;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sink asked to stop while its Kafka broker is down ends within a few seconds instead of the
 * clients' default 30 s close (the auto-committing web sink waited that long for its last commit).
 */
class StopWhileKafkaDownIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  private static final Duration STOP_LIMIT = Duration.ofSeconds(10);
  private static final String PG_URL =
      System.getProperty("maskstream.it.jdbc-url", "jdbc:postgresql://127.0.0.1:5432/test");

  @BeforeAll
  static void topics() {
    EventSamples.createTopics(kafka);
  }

  @BeforeEach
  void brokerUp() {
    if (!kafka.isRunning()) {
      kafka.start();
    }
  }

  @Test
  void jsonl(@TempDir Path dir) throws Exception {
    stopsQuickly(
        "stop-jsonl",
        c -> new JsonlSink(c, new SinkConfig.Jsonl(dir, 1 << 20, Duration.ofHours(1), "frames")));
  }

  @Test
  void web() throws Exception {
    stopsQuickly("stop-web", c -> new WebSink(c, SinkConfig.Web.of("127.0.0.1", 0)));
  }

  @Test
  void postgres() throws Exception {
    try (Connection c = DriverManager.getConnection(PG_URL, "postgres", null)) {
      Assumptions.assumeTrue(c.isValid(5));
    } catch (SQLException e) {
      Assumptions.abort("no PostgreSQL at " + PG_URL + ": " + e.getMessage());
    }
    String schema = "sinks_stop_" + Long.toHexString(System.nanoTime());
    try {
      stopsQuickly(
          "stop-postgres",
          c ->
              new PostgresSink(
                  c,
                  new SinkConfig.Postgres(
                      PG_URL, "postgres", null, schema, 50, Duration.ofSeconds(1))));
    } finally {
      try (Connection c = DriverManager.getConnection(PG_URL, "postgres", null)) {
        c.createStatement().execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
      }
    }
  }

  private static void stopsQuickly(String group, Function<SinkConfig, Sink> make) throws Exception {
    SinkConfig config =
        SinkConfig.of(EventSamples.clientProperties(kafka.bootstrapServers()), group, -1);
    SinkRun run = new SinkRun(make.apply(config), group);
    try {
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> stable(group));
      kafka.stop();
      long t0 = System.nanoTime();
      run.close();
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      System.out.println(group + " stopped in " + took.toMillis() + " ms with Kafka down");
      assertThat(took).as("stop with Kafka down").isLessThan(STOP_LIMIT);
    } finally {
      if (!run.finished()) {
        run.close();
      }
    }
  }

  private static boolean stable(String group) {
    Properties props = EventSamples.clientProperties(kafka.bootstrapServers());
    try (Admin admin = Admin.create(props)) {
      ConsumerGroupDescription d =
          admin.describeConsumerGroups(List.of(group)).all().get().get(group);
      return d.groupState() == GroupState.STABLE && !d.members().isEmpty();
    } catch (Exception e) {
      return false;
    }
  }
}
