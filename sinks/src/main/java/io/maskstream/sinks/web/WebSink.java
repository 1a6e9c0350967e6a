package io.maskstream.sinks.web;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Header;
import io.javalin.http.HttpStatus;
import io.javalin.http.sse.SseClient;
import io.javalin.http.staticfiles.Location;
import io.javalin.security.BasicAuthCredentials;
import io.maskstream.schemas.avro.Camera;
import io.maskstream.schemas.avro.CameraStatus;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.Frame;
import io.maskstream.schemas.avro.Masks;
import io.maskstream.schemas.avro.ZoneEvent;
import io.maskstream.schemas.avro.ZoneSet;
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
import java.time.Duration;
import java.util.HashMap;
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
 * frames, detections, masks and zone events topics, and a follower of the zones, cameras and camera
 * status topics.
 *
 * <p>The view is live, not a record: a partition assigned for the first time starts a few records
 * before its end, one it held before goes on where it stopped ({@link StartNearEnd}), and offsets
 * are committed automatically. The compacted zones, cameras and camera status topics are read whole
 * and followed ({@link CompactedFollower}), so the page draws every camera's zones and lines with
 * their latest counts ({@link ZoneOverlay}) and lists every defined camera with how it is doing
 * ({@link CameraPanel}). Owns its web server, consumers and dead-letter producer from {@link
 * #run()} until it returns.
 *
 * <p>Every response carries a content security policy that lets only this server's own files run.
 * With credentials ({@link WebAuth}) every path - page, files, events, metrics - needs them: HTTP
 * basic auth (which a browser asks for once and then sends with the page's event stream too) or a
 * bearer token; anything else gets 401, and an address sending wrong ones too often is refused for
 * a while ({@link FailedAttempts}).
 */
public final class WebSink implements Sink {
  private static final Logger LOG = LoggerFactory.getLogger(WebSink.class);
  private static final String STAGE = "sink-web";
  private static final long PING_MS = 15_000;
  private static final String REALM = "maskstream";
  private static final String BEARER = "Bearer ";

  private final SinkConfig config;
  private final SinkConfig.Web web;
  private final SinkMetrics metrics = new SinkMetrics("web");
  private final Broadcaster broadcaster = new Broadcaster(LiveView.MAX_CAMERAS);
  private final EventDecoder decoder;
  private final CountDownLatch started = new CountDownLatch(1);
  private final StopSignal stop = new StopSignal();
  private final FailedAttempts attempts = new FailedAttempts();
  private final Map<String, Counter> refused;
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
    refused = new HashMap<>();
    for (String reason : List.of("missing", "wrong", "blocked")) {
      refused.put(
          reason,
          Counter.builder("maskstream.sink.web.auth.refused")
              .description(
                  "Requests refused: no credentials, wrong ones, or from an address refused for"
                      + " too many wrong ones")
              .tag("reason", reason)
              .register(metrics.registry()));
    }
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
      LOG.info(
          "live view on http://{}:{}/ ({})",
          web.host(),
          port,
          web.auth().isEmpty()
              ? (web.unauthenticated()
                  ? "no authentication: --allow-unauthenticated"
                  : "local only")
              : "for " + web.auth());
    } finally {
      started.countDown();
    }
    SinkClients.ensureTopics(config);
    LiveView view = new LiveView(web.framesPerCamera(), Duration.ofSeconds(2), broadcaster);
    Gauge.builder("maskstream.sink.web.cameras", view, LiveView::cameraCount)
        .description("Cameras on the page")
        .register(metrics.registry());
    ZoneOverlay zones = new ZoneOverlay(broadcaster);
    Gauge.builder("maskstream.sink.web.zone.cameras", zones, ZoneOverlay::cameraCount)
        .description("Cameras with zones or lines")
        .register(metrics.registry());
    CameraPanel panel = new CameraPanel(broadcaster);
    Gauge.builder("maskstream.sink.web.cameras.alarming", panel, CameraPanel::alarming)
        .description(
            "Cameras that need attention: down, invalid, stale or not running, as the cameras"
                + " panel shows them")
        .register(metrics.registry());
    try (KafkaConsumer<byte[], byte[]> c =
            SinkClients.consumer(config, "maskstream-sink-web", true, 500);
        KafkaConsumer<byte[], byte[]> fc =
            SinkClients.reader(config, "maskstream-sink-web-compacted");
        DeadLetterPublisher dlq =
            new DeadLetterPublisher(config.kafka(), config.topics().deadLetters(), STAGE)) {
      stop.attach(c);
      CompactedFollower compacted =
          new CompactedFollower(fc, config.kafka(), metrics::recordRead)
              .follow(
                  config.topics().zones(),
                  ZoneSet.class,
                  "zones",
                  "no zones on the page",
                  (camera, set, at) -> zones.onZoneSet(camera, set))
              .follow(
                  config.topics().cameras(),
                  Camera.class,
                  "camera definitions",
                  "no cameras panel",
                  panel::onDefinition)
              .follow(
                  config.topics().cameraStatus(),
                  CameraStatus.class,
                  "camera status",
                  "no cameras panel",
                  panel::onStatus);
      c.subscribe(
          List.of(
              config.topics().frames(),
              config.topics().detections(),
              config.topics().masks(),
              config.topics().zoneEvents()),
          new StartNearEnd(c, web.backlogPerPartition()));
      while (!stop.stopping()) {
        ConsumerRecords<byte[], byte[]> records;
        try {
          records = c.poll(Duration.ofMillis(100));
        } catch (WakeupException e) {
          break;
        }
        long now = System.currentTimeMillis();
        compacted.poll(now);
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
          } else if (event instanceof ZoneEvent z) {
            zones.onZoneEvent(z);
          }
          metrics.framesWritten((int) (view.published() - before));
        }
        view.tick(now);
        zones.flush();
        panel.tick(
            now,
            compacted.caughtUp(config.topics().cameras())
                && compacted.caughtUp(config.topics().cameraStatus()));
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
          if (!web.auth().isEmpty()) {
            cfg.routes.before(this::authenticate); // after the headers: a refusal has them too
          }
          cfg.routes.sse("/events", this::stream);
        });
  }

  /**
   * Lets a request with the credentials of a user or a token through; answers any other with 401
   * and a challenge (basic, and bearer when there are tokens), or 429 while its address is refused
   * for too many wrong credentials. Covers every path: the page, its files, /events and /metrics.
   */
  private void authenticate(Context ctx) {
    String address = ctx.ip();
    long now = System.currentTimeMillis();
    long refusedMs = attempts.refusedForMillis(address, now);
    if (refusedMs > 0) {
      refused.get("blocked").increment();
      ctx.status(HttpStatus.TOO_MANY_REQUESTS)
          .header("Retry-After", Long.toString((refusedMs + 999) / 1000))
          .result("Too many wrong credentials: try again later\n");
      ctx.skipRemainingHandlers();
      return;
    }
    String scheme = null;
    boolean ok = false;
    String authorization = ctx.header(Header.AUTHORIZATION);
    if (authorization != null) {
      if (authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
        scheme = "bearer";
        ok = web.auth().allowsToken(authorization.substring(BEARER.length()).strip());
      } else if (authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
        scheme = "basic";
        BasicAuthCredentials credentials = basicCredentials(ctx);
        ok =
            credentials != null
                && web.auth().allowsBasic(credentials.getUsername(), credentials.getPassword());
      }
    }
    if (ok) {
      attempts.succeeded(address);
      return;
    }
    if (scheme != null) {
      refused.get("wrong").increment();
      LOG.warn(
          "refused wrong {} credentials from {} for {} {}",
          scheme,
          address,
          ctx.method(),
          printable(ctx.path()));
      if (attempts.failed(address, now)) {
        LOG.warn(
            "{} wrong credentials from {} within {} s: refusing it for that long",
            FailedAttempts.MAX_FAILURES,
            address,
            FailedAttempts.WINDOW_MS / 1000);
      }
    } else {
      refused.get("missing").increment();
    }
    ctx.status(HttpStatus.UNAUTHORIZED)
        .header(Header.WWW_AUTHENTICATE, "Basic realm=\"" + REALM + "\", charset=\"UTF-8\"");
    if (web.auth().tokenCount() > 0) {
      ctx.addHeader(Header.WWW_AUTHENTICATE, "Bearer realm=\"" + REALM + "\"");
    }
    ctx.result("Unauthorized\n");
    ctx.skipRemainingHandlers();
  }

  /** Javalin's reading of a basic Authorization header; null when it is malformed. */
  private static BasicAuthCredentials basicCredentials(Context ctx) {
    try {
      return ctx.basicAuthCredentials();
    } catch (RuntimeException e) {
      return null; // not base64, no colon, ...
    }
  }

  /** {@code text} fit for one log line: printable ASCII only, at most 100 characters. */
  static String printable(String text) {
    String s = text.replaceAll("[^\\x20-\\x7e]", "?");
    return s.length() > 100 ? s.substring(0, 100) + "..." : s;
  }

  /** Sends updates to one browser until it goes away or the sink stops (on a Jetty thread). */
  private void stream(SseClient client) {
    try (Broadcaster.Subscriber subscriber = broadcaster.subscribe()) {
      client.onClose(subscriber::close);
      client.sendComment("connected");
      while (!client.terminated()) {
        List<Broadcaster.Update> updates = subscriber.take(PING_MS);
        if (updates == null) {
          break;
        }
        if (updates.isEmpty()) {
          client.sendComment("ping"); // also how a vanished browser is noticed
        }
        for (Broadcaster.Update update : updates) {
          client.sendEvent(update.kind(), update.json());
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
