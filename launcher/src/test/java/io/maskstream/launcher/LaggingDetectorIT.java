package io.maskstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.detector.DetectorConfig;
import io.maskstream.detector.DetectorTopology;
import io.maskstream.detector.stream.DetectorMetrics;
import io.maskstream.schemas.avro.Frame;
import io.maskstream.schemas.avro.ImageEncoding;
import io.maskstream.sinks.EventSamples;
import io.maskstream.sinks.SinkConfig;
import io.maskstream.sinks.SinkRun;
import io.maskstream.sinks.web.LivePage;
import io.maskstream.sinks.web.WebSink;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.awt.Color;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live page while the detector is seconds behind its camera: a 15 fps camera, the real detector
 * topology in realtime mode with a model taking 2 s per frame (so only some frames get events, each
 * 2-4 s after its capture), the web sink, a headless Chromium and a plain update-stream client, on
 * the embedded broker. The screenshot is kept as {@code target/lagging-detector.png}.
 */
class LaggingDetectorIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  static final String CAMERA = "gate";
  static final int W = 160;
  static final int H = 120;
  static final long FRAME_MS = 1000 / 15;
  static final long MODEL_MS = 2000;
  static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void topics() {
    Assumptions.assumeTrue(LivePage.available(), "needs Debian's chromium and chromium-driver");
    EventSamples.createTopics(kafka);
    // the detector's global zones store needs its topic before it starts (the sink creates it
    // too, but only after it says it has started)
    kafka.createTopic(io.maskstream.schemas.TopicNames.DEFAULTS.zones(), 1);
  }

  /** One update as the stream client got it. */
  record Update(long receivedAt, long sequence, boolean detected, long lagMs) {}

  /** Reads the page's update stream on its own thread, keeping what each update says. */
  static final class UpdateStream implements AutoCloseable {
    final List<Update> updates = new CopyOnWriteArrayList<>();
    private final InputStream body;

    UpdateStream(String url) throws Exception {
      HttpResponse<InputStream> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(url))
                      .header("Accept", "text/event-stream")
                      .build(),
                  HttpResponse.BodyHandlers.ofInputStream());
      body = response.body();
      Thread reader = new Thread(this::read, "update-stream");
      reader.setDaemon(true);
      reader.start();
    }

    private void read() {
      try (BufferedReader lines =
          new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
        String line;
        while ((line = lines.readLine()) != null) {
          if (line.startsWith("data:")) {
            JsonNode u = JSON.readTree(line.substring("data:".length()));
            updates.add(
                new Update(
                    System.currentTimeMillis(),
                    u.get("sequence").asLong(),
                    u.get("detected").asBoolean(),
                    u.path("lagMs").asLong(-1)));
          }
        }
      } catch (IOException e) {
        // closed
      }
    }

    List<Update> between(long from, long to) {
      return updates.stream().filter(u -> u.receivedAt() >= from && u.receivedAt() < to).toList();
    }

    @Override
    public void close() throws IOException {
      body.close();
    }
  }

  /** A camera sending a black frame every {@link #FRAME_MS} with its real capture time. */
  static ScheduledExecutorService camera(EventSamples samples, AtomicLong sequence) {
    byte[] jpeg = EventSamples.jpeg(W, H, Color.BLACK);
    ScheduledExecutorService camera = Executors.newSingleThreadScheduledExecutor();
    camera.scheduleAtFixedRate(
        () -> {
          samples.send(
              new Frame(
                  CAMERA,
                  sequence.getAndIncrement(),
                  Instant.now(),
                  W,
                  H,
                  ImageEncoding.JPEG,
                  ByteBuffer.wrap(jpeg),
                  null));
          samples.flush();
        },
        0,
        FRAME_MS,
        TimeUnit.MILLISECONDS);
    return camera;
  }

  @Test
  void showsDetectionsWhileTheDetectorIsSecondsBehindA15FpsCamera(@TempDir Path dir)
      throws Exception {
    var props = EventSamples.clientProperties(kafka.bootstrapServers());
    WebSink sink =
        new WebSink(SinkConfig.of(props, "lag-it", -1), SinkConfig.Web.of("127.0.0.1", 0));
    var detectorProps = new java.util.Properties();
    detectorProps.putAll(props);
    detectorProps.put("state.dir", dir.resolve("streams").toString()); // its tracks' store
    DetectorConfig config =
        DetectorConfig.builder()
            .model(dir.resolve("slow.onnx")) // never read: the slow segmenter is the model
            .kafka(detectorProps)
            .mode(DetectorConfig.Mode.REALTIME)
            .applicationId("lag-it-detector")
            .build();
    DetectorMetrics metrics = new DetectorMetrics(new SimpleMeterRegistry());
    SlowSegmenter model = new SlowSegmenter(MODEL_MS, 40, 30, 100, 60);
    ExecutorService decodeAhead = Executors.newSingleThreadExecutor();
    AtomicLong sequence = new AtomicLong();
    KafkaStreams detector =
        new KafkaStreams(
            DetectorTopology.build(config, model, metrics, decodeAhead),
            DetectorTopology.streamsProperties(config, model.worstCaseMillis()));
    ScheduledExecutorService camera = null;
    try (EventSamples samples = new EventSamples(kafka.bootstrapServers());
        SinkRun web = new SinkRun(sink, "lag-it-web")) {
      sink.awaitStarted();
      String page = "http://127.0.0.1:" + sink.port() + "/";
      detector.start();
      camera = camera(samples, sequence);
      try (UpdateStream stream = new UpdateStream(page + "events");
          LivePage browser = LivePage.open(page, dir.resolve("profile"))) {
        await()
            .atMost(Duration.ofSeconds(90))
            .until(() -> stream.updates.stream().anyMatch(Update::detected));
        long flowing = System.currentTimeMillis();

        // the page shows the mask of a frame seconds old, and says how far behind it is
        await()
            .atMost(Duration.ofSeconds(20))
            .untilAsserted(
                () -> {
                  int[] inside = browser.pixel(CAMERA, 70, 45);
                  assertThat(inside[0]).as("red channel inside the mask").isGreaterThan(60);
                  assertThat(inside[0]).isGreaterThan(inside[1] + 30);
                });
        for (int[] xy : new int[][] {{20, 20}, {130, 100}, {70, 80}}) {
          int[] outside = browser.pixel(CAMERA, xy[0], xy[1]);
          assertThat(outside[0] + outside[1] + outside[2])
              .as("no tint at (%d, %d)", xy[0], xy[1])
              .isLessThan(60);
        }
        String stats = browser.tileText(CAMERA, ".stats");
        Matcher behind = Pattern.compile("detections (\\d+\\.\\d) s behind").matcher(stats);
        assertThat(behind.find()).as("lag in the tile: %s", stats).isTrue();
        assertThat(Double.parseDouble(behind.group(1))).isGreaterThanOrEqualTo(0.5);
        assertThat(stats).contains("model slow-test-model 5l0w");
        browser.screenshot(Paths.get("target", "lagging-detector.png"));

        // while events flow, updates carry them: no newer bare frame takes their place
        long until = flowing + 20_000;
        Thread.sleep(Math.max(0, until - System.currentTimeMillis()));
        List<Update> window = stream.between(flowing, until);
        long detected = window.stream().filter(Update::detected).count();
        System.out.printf(
            "lagging detector: %d of %d updates in 20 s carried detections, lags %s ms,"
                + " %.0f frames processed, %.0f skipped%n",
            detected,
            window.size(),
            window.stream().map(Update::lagMs).toList(),
            metrics.processedCount(CAMERA),
            metrics.skippedCount(CAMERA));
        assertThat(window).hasSizeGreaterThanOrEqualTo(5);
        assertThat(detected)
            .as("updates with detections")
            .isGreaterThanOrEqualTo(window.size() * 9L / 10);
        assertThat(
                window.stream()
                    .filter(Update::detected)
                    .mapToLong(Update::lagMs)
                    .average()
                    .orElse(0))
            .as("detections seconds behind")
            .isGreaterThan(1000);
        // realtime mode: the slow model skipped frames, and the page showed the ones it did
        assertThat(metrics.skippedCount(CAMERA)).isGreaterThan(0);
      }
    } finally {
      if (camera != null) {
        camera.shutdownNow();
      }
      detector.close(Duration.ofSeconds(30));
      decodeAhead.shutdownNow();
      model.close();
    }
  }
}
