package io.maskstream.sinks.web;

import io.javalin.Javalin;
import io.javalin.http.sse.SseClient;
import io.javalin.http.staticfiles.Location;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.Frame;
import io.maskstream.schemas.avro.Masks;
import io.maskstream.sinks.Sink;
import io.maskstream.sinks.SinkConfig;
import io.maskstream.sinks.kafka.DeadLetterPublisher;
import io.maskstream.sinks.kafka.EventDecoder;
import io.maskstream.sinks.kafka.EventDecoder.UnusableRecordException;
import io.maskstream.sinks.kafka.MetricsServer;
import io.maskstream.sinks.kafka.SinkClients;
import io.maskstream.sinks.kafka.SinkMetrics;
import io.maskstream.sinks.kafka.StopSignal;
import io.micrometer.core.instrument.Gauge;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code maskstream sink web}: serves the live page ({@code /}), its update stream ({@code
 * /events}, server-sent events) and Prometheus metrics ({@code /metrics}), fed by a consumer of the
 * frames, detections and masks topics.
 *
 * <p>The view is live, not a record: a partition assigned for the first time starts a few records
 * before its end, one it held before goes on where it stopped ({@link StartNearEnd}), and offsets
 * are committed automatically. Owns its web server, consumer and dead-letter producer from {@link
 * #run()} until it returns.
 */
public final class WebSink implements Sink {
  private static final Logger LOG = LoggerFactory.getLogger(WebSink.class);
  private static final String STAGE = "sink-web";
  private static final long PING_MS = 15_000;

  private final SinkConfig config;
  private final SinkConfig.Web web;
  private final SinkMetrics metrics = new SinkMetrics("web");
  private final Broadcaster broadcaster = new Broadcaster(LiveView.MAX_CAMERAS);
  private final EventDecoder decoder;
  private final CountDownLatch started = new CountDownLatch(1);
  private final StopSignal stop = new StopSignal();
  private volatile int port = -1;

  /** A sink for {@code config} serving as {@code web} says; nothing starts until run. */
  public WebSink(SinkConfig config, SinkConfig.Web web) {
    this.config = config;
    this.web = web;
    // the browser decodes masks; a malformed one only spoils its own overlay, so no RLE check here
    this.decoder = new EventDecoder(config.kafka(), config.topics(), false);
    Gauge.builder("maskstream.sink.web.clients", broadcaster, Broadcaster::subscribers)
        .description("Browsers connected to the update stream")
        .register(metrics.registry());
  }

  /** The port the page is served on, once started; -1 before. */
  public int port() {
    return port;
  }

  /** Waits until the server listens (or run failed). */
  public void awaitStarted() throws InterruptedException {
    started.await();
  }

  /** The metrics of this sink. */
  public SinkMetrics metrics() {
    return metrics;
  }

  @Override
  public void run() throws Exception {
    Javalin app = server();
    try {
      app.start();
      port = app.port();
      LOG.info("live view on http://{}:{}/", web.host(), port);
    } finally {
      started.countDown();
    }
    SinkClients.ensureTopics(config);
    LiveView view = new LiveView(web.framesPerCamera(), Duration.ofSeconds(2), broadcaster);
    Gauge.builder("maskstream.sink.web.cameras", view, LiveView::cameraCount)
        .description("Cameras on the page")
        .register(metrics.registry());
    try (KafkaConsumer<byte[], byte[]> c =
            SinkClients.consumer(config, "maskstream-sink-web", true, 500);
        DeadLetterPublisher dlq =
            new DeadLetterPublisher(config.kafka(), config.topics().deadLetters(), STAGE)) {
      stop.attach(c);
      c.subscribe(
          List.of(config.topics().frames(), config.topics().detections(), config.topics().masks()),
          new StartNearEnd(c, web.backlogPerPartition()));
      while (!stop.stopping()) {
        ConsumerRecords<byte[], byte[]> records;
        try {
          records = c.poll(Duration.ofMillis(100));
        } catch (WakeupException e) {
          break;
        }
        long now = System.currentTimeMillis();
        for (ConsumerRecord<byte[], byte[]> record : records) {
          metrics.recordRead(record.topic());
          SpecificRecord event;
          try {
            event = decoder.decode(record);
          } catch (UnusableRecordException e) {
            dlq.send(record, e.getMessage(), e.getCause() != null ? e.getCause() : e);
            metrics.deadLetter();
            continue;
          }
          long before = view.published();
          if (event instanceof Frame f) {
            view.onFrame(f, now);
          } else if (event instanceof Detections d) {
            view.onDetections(d, now);
          } else if (event instanceof Masks m) {
            view.onMasks(m, now);
          }
          metrics.framesWritten((int) (view.published() - before));
        }
        view.tick(now);
      }
      dlq.flush();
    } finally {
      stop.detach();
      broadcaster.close();
      app.stop();
    }
  }

  private Javalin server() {
    return Javalin.create(
        cfg -> {
          MetricsServer.serve(cfg, web.host(), web.port(), metrics);
          cfg.staticFiles.add("/io/maskstream/sinks/web", Location.CLASSPATH);
          cfg.routes.before(
              ctx -> {
                // everything on the page comes from this server; nothing inline runs
                ctx.header(
                    "Content-Security-Policy",
                    "default-src 'self'; img-src 'self' data:; style-src 'self';"
                        + " script-src 'self'; connect-src 'self'; object-src 'none'");
                ctx.header("X-Content-Type-Options", "nosniff");
                ctx.header("Referrer-Policy", "no-referrer");
              });
          cfg.routes.sse("/events", this::stream);
        });
  }

  /** Sends updates to one browser until it goes away or the sink stops (on a Jetty thread). */
  private void stream(SseClient client) {
    try (Broadcaster.Subscriber subscriber = broadcaster.subscribe()) {
      client.onClose(subscriber::close);
      client.sendComment("connected");
      while (!client.terminated()) {
        Map<String, String> updates = subscriber.take(PING_MS);
        if (updates == null) {
          break;
        }
        if (updates.isEmpty()) {
          client.sendComment("ping"); // also how a vanished browser is noticed
        }
        for (String json : updates.values()) {
          client.sendEvent("frame", json);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void stop() {
    stop.stop();
  }
}
