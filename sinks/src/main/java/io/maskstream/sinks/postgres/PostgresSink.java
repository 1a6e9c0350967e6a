package io.maskstream.sinks.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.Masks;
import io.maskstream.schemas.avro.ObjectEvent;
import io.maskstream.schemas.avro.ZoneEvent;
import io.maskstream.sinks.Sink;
import io.maskstream.sinks.SinkConfig;
import io.maskstream.sinks.kafka.DeadLetterPublisher;
import io.maskstream.sinks.kafka.EventDecoder;
import io.maskstream.sinks.kafka.EventDecoder.UnusableRecordException;
import io.maskstream.sinks.kafka.MetricsServer;
import io.maskstream.sinks.kafka.SinkClients;
import io.maskstream.sinks.kafka.SinkMetrics;
import io.maskstream.sinks.kafka.StopSignal;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.flywaydb.core.api.FlywayException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code maskstream sink postgres}: detections, masks, object events and zone events into
 * PostgreSQL ({@link JdbcEventStore}).
 *
 * <p>Each poll (up to {@code maxBatchRecords} records) becomes one database transaction; the Kafka
 * offsets of the batch are committed only after that transaction committed (and refused records are
 * on the dead-letter topic). A crash between the two replays the batch, which the upserts absorb,
 * so nothing is lost or duplicated. While the database is unreachable the sink keeps the batch,
 * pauses its partitions (staying in the group) and retries with a growing backoff.
 *
 * <p>Owns its consumer, dead-letter producer, connection pool and metrics server from {@link
 * #run()} until it returns.
 */
public final class PostgresSink implements Sink {
  private static final Logger LOG = LoggerFactory.getLogger(PostgresSink.class);
  private static final String STAGE = "sink-postgres";

  private final SinkConfig config;
  private final SinkConfig.Postgres postgres;
  private final Runnable afterDatabaseCommit;
  private final SinkMetrics metrics = new SinkMetrics("postgres");
  private final EventDecoder decoder;
  private final Counter rows;
  private final Counter retries;
  private final AtomicInteger databaseUp = new AtomicInteger();
  private final StopSignal stop = new StopSignal();
  private KafkaConsumer<byte[], byte[]> consumer; // while run() runs, on its thread
  private volatile int metricsPort = -1;

  /** A sink for {@code config} writing where {@code postgres} says; nothing starts until run. */
  public PostgresSink(SinkConfig config, SinkConfig.Postgres postgres) {
    this(config, postgres, () -> {});
  }

  /**
   * As above, with {@code afterDatabaseCommit} run between each database commit and the offset
   * commit that follows it (where a crash is the most delicate).
   */
  PostgresSink(SinkConfig config, SinkConfig.Postgres postgres, Runnable afterDatabaseCommit) {
    this.config = config;
    this.postgres = postgres;
    this.afterDatabaseCommit = afterDatabaseCommit;
    this.decoder = new EventDecoder(config.kafka(), config.topics(), true);
    this.rows =
        Counter.builder("maskstream.sink.rows")
            .description("Detection, mask, object and zone event rows written")
            .register(metrics.registry());
    this.retries =
        Counter.builder("maskstream.sink.database.retries")
            .description("Failed database attempts that will be retried")
            .register(metrics.registry());
    Gauge.builder("maskstream.sink.database.up", databaseUp, AtomicInteger::get)
        .description("1 when the last database write succeeded")
        .register(metrics.registry());
  }

  /** The metrics of this sink. */
  public SinkMetrics metrics() {
    return metrics;
  }

  /** The port of the metrics endpoint once running, -1 when off or not started. */
  public int metricsPort() {
    return metricsPort;
  }

  @Override
  public void run() throws InterruptedException {
    SinkClients.ensureTopics(config);
    MetricsServer server = MetricsServer.startIfEnabled(metrics, config);
    if (server != null) {
      metricsPort = server.port();
    }
    try (server;
        HikariDataSource dataSource = dataSource();
        KafkaConsumer<byte[], byte[]> c =
            SinkClients.consumer(
                config, "maskstream-sink-postgres", false, postgres.maxBatchRecords());
        DeadLetterPublisher dlq =
            new DeadLetterPublisher(config.kafka(), config.topics().deadLetters(), STAGE)) {
      consumer = c;
      stop.attach(c);
      JdbcEventStore store = new JdbcEventStore(dataSource, postgres.schema());
      if (!migrate(store)) {
        return;
      }
      List<String> topics =
          List.of(
              config.topics().detections(),
              config.topics().masks(),
              config.topics().objects(),
              config.topics().zoneEvents());
      c.subscribe(topics);
      LOG.info(
          "writing {} to {} schema {} (group {})",
          topics,
          postgres.jdbcUrl(),
          postgres.schema(),
          config.groupId());
      while (!stop.stopping()) {
        ConsumerRecords<byte[], byte[]> records;
        try {
          records = c.poll(Duration.ofMillis(500));
        } catch (WakeupException e) {
          break;
        }
        if (!records.isEmpty()) {
          Batch batch = new Batch();
          batch.add(records, dlq);
          if (!writeUntilDone(store, batch, dlq)) {
            break; // stopped while the database was down: nothing committed, replayed next time
          }
        }
      }
    } finally {
      stop.detach();
      consumer = null;
    }
  }

  private HikariDataSource dataSource() {
    HikariConfig hikari = new HikariConfig();
    hikari.setJdbcUrl(postgres.jdbcUrl());
    if (postgres.user() != null) {
      hikari.setUsername(postgres.user());
    }
    if (postgres.password() != null) {
      hikari.setPassword(postgres.password());
    }
    hikari.setPoolName("maskstream-sink-postgres");
    hikari.setMaximumPoolSize(2);
    hikari.setMinimumIdle(0);
    hikari.setConnectionTimeout(5_000);
    hikari.setValidationTimeout(2_000);
    // start even when the database is down; the sink waits for it
    hikari.setInitializationFailTimeout(-1);
    // multi-row INSERTs from JDBC batches: several times fewer round trips
    hikari.addDataSourceProperty("reWriteBatchedInserts", "true");
    hikari.addDataSourceProperty("connectTimeout", "5");
    hikari.addDataSourceProperty("socketTimeout", "60");
    hikari.addDataSourceProperty("ApplicationName", "maskstream-sink-postgres");
    return new HikariDataSource(hikari);
  }

  /** Migrates, retrying while the database is unreachable; false when stopped meanwhile. */
  private boolean migrate(JdbcEventStore store) throws InterruptedException {
    Backoff backoff = new Backoff(postgres.maxRetryBackoff());
    while (!stop.stopping()) {
      try {
        store.migrate();
        databaseUp.set(1);
        return true;
      } catch (FlywayException e) {
        if (!isConnectionProblem(e)) {
          throw e;
        }
        databaseUp.set(0);
        retries.increment();
        LOG.warn("database not reachable ({}); retrying in {}", rootMessage(e), backoff.peek());
        sleep(backoff.next());
      }
    }
    return false;
  }

  /**
   * Writes the batch, retrying while the database is down; then commits its offsets.
   *
   * @return false when stopped before the batch could be written
   */
  private boolean writeUntilDone(JdbcEventStore store, Batch batch, DeadLetterPublisher dlq) {
    Backoff backoff = new Backoff(postgres.maxRetryBackoff());
    boolean paused = false;
    while (true) {
      try {
        int written =
            metrics
                .batchTimer()
                .recordCallable(
                    () ->
                        store.write(
                            batch.events(Detections.class),
                            batch.events(Masks.class),
                            batch.events(ObjectEvent.class),
                            batch.events(ZoneEvent.class)));
        databaseUp.set(1);
        rows.increment(written);
        metrics.framesWritten(batch.events(Detections.class).size());
        break;
      } catch (SQLException e) {
        if (!isConnectionProblem(e)) {
          // the database refused the data itself: find the records it refuses, dead-letter them
          databaseUp.set(1);
          if (isolateRefused(store, batch, dlq)) {
            continue;
          }
        }
        databaseUp.set(0);
        retries.increment();
        LOG.warn(
            "database write of {} records failed ({}); retrying in {}",
            batch.records,
            oneLine(e),
            backoff.peek());
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      // Stay in the consumer group while waiting: poll with every partition paused.
      consumer.pause(consumer.assignment());
      paused = true;
      ConsumerRecords<byte[], byte[]> more;
      try {
        more = consumer.poll(backoff.next());
      } catch (WakeupException e) {
        return false;
      }
      // partitions assigned by a rebalance meanwhile are not paused: their records join the batch
      batch.add(more, dlq);
      if (stop.stopping()) {
        return false;
      }
    }
    afterDatabaseCommit.run();
    dlq.flush();
    Set<TopicPartition> owned = consumer.assignment();
    Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
    batch.next.forEach(
        (tp, offset) -> {
          if (owned.contains(tp)) {
            commit.put(tp, new OffsetAndMetadata(offset));
          }
        });
    try {
      consumer.commitSync(commit);
    } catch (CommitFailedException | RebalanceInProgressException e) {
      // the rows are in; whoever owns the partitions now reads them again and upserts the same
      LOG.info(
          "offset commit refused by a rebalance ({}); the batch will be replayed", e.getMessage());
    } catch (WakeupException e) {
      consumer.commitSync(commit); // stop() woke the commit up; the loop ends after it
    }
    if (paused) {
      consumer.resume(consumer.assignment());
      LOG.info("database reachable again; resumed");
    }
    return true;
  }

  /**
   * Writes the batch's events one by one and dead-letters those the database refuses.
   *
   * @return true when done (the batch keeps only what the database accepts); false when the
   *     connection failed meanwhile (retry the whole batch)
   */
  private boolean isolateRefused(JdbcEventStore store, Batch batch, DeadLetterPublisher dlq) {
    List<Item> accepted = new ArrayList<>();
    for (Item item : batch.items) {
      try {
        store.write(
            one(item, Detections.class),
            one(item, Masks.class),
            one(item, ObjectEvent.class),
            one(item, ZoneEvent.class));
        accepted.add(item);
      } catch (SQLException e) {
        if (isConnectionProblem(e)) {
          return false;
        }
        dlq.send(item.record(), "refused by the database: " + oneLine(e), e);
        metrics.deadLetter();
      }
    }
    batch.items.clear();
    batch.items.addAll(accepted);
    return true;
  }

  /** The item's event when it is a {@code type}, else nothing. */
  private static <T> List<T> one(Item item, Class<T> type) {
    return type.isInstance(item.event()) ? List.of(type.cast(item.event())) : List.of();
  }

  /** A decoded record. */
  private record Item(ConsumerRecord<byte[], byte[]> record, SpecificRecord event) {}

  /** The records of one transaction. */
  private final class Batch {
    final List<Item> items = new ArrayList<>();
    final Map<TopicPartition, Long> next = new HashMap<>();
    int records;

    /** The batch's events of {@code type}, in the order read. */
    <T> List<T> events(Class<T> type) {
      List<T> out = new ArrayList<>();
      for (Item item : items) {
        if (type.isInstance(item.event())) {
          out.add(type.cast(item.event()));
        }
      }
      return out;
    }

    void add(ConsumerRecords<byte[], byte[]> polled, DeadLetterPublisher dlq) {
      for (ConsumerRecord<byte[], byte[]> record : polled) {
        records++;
        metrics.recordRead(record.topic());
        next.merge(
            new TopicPartition(record.topic(), record.partition()), record.offset() + 1, Math::max);
        try {
          SpecificRecord event = decoder.decode(record);
          if (event instanceof Detections
              || event instanceof Masks
              || event instanceof ObjectEvent
              || event instanceof ZoneEvent) {
            items.add(new Item(record, event));
          }
        } catch (UnusableRecordException e) {
          dlq.send(record, e.getMessage(), e.getCause() != null ? e.getCause() : e);
          metrics.deadLetter();
        }
      }
    }
  }

  /** Exponential backoff from {@link SinkConfig.Postgres#FIRST_RETRY_BACKOFF} up to a maximum. */
  private static final class Backoff {
    private final long maxMillis;
    private long nextMillis = SinkConfig.Postgres.FIRST_RETRY_BACKOFF.toMillis();

    Backoff(Duration max) {
      this.maxMillis = Math.max(nextMillis, max.toMillis());
    }

    Duration peek() {
      return Duration.ofMillis(nextMillis);
    }

    Duration next() {
      Duration d = Duration.ofMillis(nextMillis);
      nextMillis = Math.min(maxMillis, nextMillis * 2);
      return d;
    }
  }

  /**
   * True for failures that waiting cures: no connection (SQL state class 08), server shutting down
   * or starting (57P), out of resources (53), transaction conflicts (40), I/O errors.
   */
  private static boolean isConnectionProblem(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.sql.SQLTransientException
          || t instanceof java.sql.SQLRecoverableException
          || t instanceof java.io.IOException) {
        return true;
      }
      if (t instanceof SQLException s && s.getSQLState() != null) {
        String state = s.getSQLState();
        if (state.startsWith("08")
            || state.startsWith("57P")
            || state.startsWith("53")
            || state.startsWith("40")) {
          return true;
        }
      }
    }
    return false;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return oneLine(t);
  }

  private static String oneLine(Throwable t) {
    Throwable cause = t;
    if (t instanceof java.sql.BatchUpdateException b && b.getNextException() != null) {
      cause = b.getNextException(); // the server's reason, not the whole statement
    }
    String m = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    m = m.replaceAll("\\s+", " ");
    return m.length() > 300 ? m.substring(0, 300) + "..." : m;
  }

  private void sleep(Duration d) throws InterruptedException {
    long until = System.nanoTime() + d.toNanos();
    while (!stop.stopping() && System.nanoTime() < until) {
      Thread.sleep(Math.min(100, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
    }
  }

  @Override
  public void stop() {
    stop.stop();
  }
}
