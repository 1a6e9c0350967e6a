package io.maskstream.launcher;

import io.maskstream.broker.EmbeddedKafka;
import io.maskstream.detector.DetectorConfig;
import io.maskstream.detector.DetectorService;
import io.maskstream.detector.ZonesCommand;
import io.maskstream.detector.zone.ZoneDefinitions;
import io.maskstream.ingest.IngestConfig;
import io.maskstream.ingest.IngestService;
import io.maskstream.ingest.publish.KafkaFrameSender;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.Topics;
import io.maskstream.schemas.cli.UserException;
import io.maskstream.sinks.SinkConfig;
import io.maskstream.sinks.WebAuthOptions;
import io.maskstream.sinks.web.WebSink;
import io.maskstream.trainer.shapes.ShapesConfig;
import io.maskstream.trainer.shapes.ShapesGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code maskstream demo}: an embedded Kafka, a generated sample video (plus the sample images the
 * bundled model was checked on), the detector with the bundled model and the live web view, all in
 * this process until Ctrl-C. Everything is closed in reverse order of starting.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Runs everything in one process on an embedded Kafka: a sample video, the bundled model,"
          + " the detector and a live web view, until Ctrl-C."
    })
final class DemoCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(DemoCommand.class);

  /** Where the launcher script says the source tree is; the bundled model lives there. */
  static final String HOME_PROPERTY = "maskstream.home";

  /**
   * The bundled shapes model, made by {@code maskstream train} (the {@code tiny} preset on
   * generated shapes) and shipped inside the launcher jar.
   */
  static final String BUNDLED_MODEL = "/io/maskstream/launcher/shapes-tiny.onnx";

  static final String BUNDLED_IMAGES = "detector/src/test/resources/fixtures";

  @Option(
      names = "--host",
      defaultValue = "127.0.0.1",
      description =
          "Address of the web view (default: ${DEFAULT-VALUE}, this machine only; another"
              + " address needs --auth-file or --token-file).")
  String host;

  @Option(
      names = "--port",
      paramLabel = "PORT",
      defaultValue = "8080",
      description = "Port of the web view (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--model",
      paramLabel = "FILE.onnx",
      description = "A Mask R-CNN ONNX model (default: the bundled shapes model).")
  Path model;

  @Option(
      names = "--video",
      paramLabel = "FILE",
      description = "A video to play in a loop (default: a generated shapes clip).")
  Path video;

  @Option(
      names = "--fps",
      defaultValue = "4",
      description = "Frames per second per camera (default: ${DEFAULT-VALUE}).")
  double fps;

  @Option(
      names = "--score-threshold",
      defaultValue = "0.5",
      description = "Minimum detection score shown (default: ${DEFAULT-VALUE}).")
  float scoreThreshold;

  @Mixin WebAuthOptions auth;

  @Override
  public Integer call() throws Exception {
    Path home = Path.of(System.getProperty(HOME_PROPERTY, ".")).toAbsolutePath();
    if (model != null && !Files.isRegularFile(model)) {
      throw new UserException("--model " + model + " does not exist: give an ONNX model file");
    }
    if (video != null && !Files.isRegularFile(video)) {
      throw new UserException("--video " + video + " does not exist");
    }
    SinkConfig.Web webConfig =
        auth.web(
            host, port, SinkConfig.Web.DEFAULT_FRAMES_PER_CAMERA, SinkConfig.Web.DEFAULT_BACKLOG);
    Path work = Files.createTempDirectory("maskstream-demo-");
    Path modelFile = model != null ? model : bundledModel(work);
    List<AutoCloseable> started = new ArrayList<>();
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              LOG.info("Stopping the demo");
              closeAll(started);
              stopped.countDown();
            },
            "demo-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      Path clip = video != null ? video : sampleClip(work.resolve("clip"));

      EmbeddedKafka kafka = EmbeddedKafka.builder().port(0).dataDir(work.resolve("kafka")).build();
      started.add(kafka);
      kafka.start();
      Properties props = new Properties();
      props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
      try (Admin admin = Admin.create(props)) {
        Topics.ensure(
            admin,
            Topics.specs(TopicNames.DEFAULTS, Topics.DEFAULT_PARTITIONS),
            Duration.ofSeconds(30));
      }

      // a line across the clip and a zone in its lower right, as `maskstream zones set` stores them
      ZonesCommand.store(
          props,
          TopicNames.DEFAULTS,
          ZoneDefinitions.parseYaml(CLIP_CAMERA, demoZones(), java.time.Instant.now()));

      WebSink web = new WebSink(SinkConfig.of(props, "maskstream-demo-web", -1), webConfig);
      Thread webThread = new Thread(() -> runWeb(web), "demo-web");
      started.add(
          () -> {
            web.stop();
            webThread.join(30_000);
          });
      webThread.start();
      web.awaitStarted();

      // the detector's stream state (its tracks) belongs to this run's broker
      Properties detectorProps = new Properties();
      detectorProps.putAll(props);
      detectorProps.put(StreamsConfig.STATE_DIR_CONFIG, work.resolve("streams").toString());
      DetectorService detector =
          DetectorService.start(
              DetectorConfig.builder()
                  .model(modelFile)
                  .kafka(detectorProps)
                  .scoreThreshold(scoreThreshold)
                  .mode(DetectorConfig.Mode.REALTIME)
                  .metricsPort(0)
                  .build());
      started.add(detector);

      IngestService ingest =
          IngestService.start(
              new IngestConfig(
                  List.of(
                      camera(CLIP_CAMERA, clip.toString()),
                      camera("shapes-stills", home.resolve(BUNDLED_IMAGES).toString())),
                  -1,
                  Duration.ofSeconds(30),
                  IngestConfig.Defaults.IN_FLIGHT_PER_CAMERA),
              new KafkaFrameSender(props, TopicNames.DEFAULTS.frames()));
      started.add(ingest);

      System.out.println(
          "maskstream demo: open http://" + host + ":" + web.port() + "/ (Ctrl-C to stop)");
      System.out.flush();
    } catch (RuntimeException | IOException e) {
      Runtime.getRuntime().removeShutdownHook(hook);
      closeAll(started);
      throw e;
    }
    stopped.await();
    return 0;
  }

  /** The camera of the sample clip (or of --video). */
  static final String CLIP_CAMERA = "shapes-clip";

  /** The demo clip's zones and lines, in the zones file format. */
  static String demoZones() throws IOException {
    try (var in = DemoCommand.class.getResourceAsStream("demo-zones.yaml")) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  private IngestConfig.Camera camera(String id, String url) {
    return new IngestConfig.Camera(
        id,
        url,
        fps,
        IngestConfig.Defaults.MAX_WIDTH,
        IngestConfig.Defaults.JPEG_QUALITY,
        true,
        true,
        IngestConfig.Defaults.READ_TIMEOUT,
        Map.of());
  }

  private static Path sampleClip(Path dir) throws IOException {
    LOG.info("Generating a sample clip in {}", dir);
    new ShapesGenerator(ShapesConfig.defaults()).writeClip(dir, 200, 7);
    try (var files = Files.list(dir)) {
      return files
          .filter(p -> p.getFileName().toString().startsWith("clip."))
          .findFirst()
          .orElseThrow(() -> new IOException("no clip was written in " + dir));
    }
  }

  private static void runWeb(WebSink web) {
    try {
      web.run();
    } catch (Exception e) {
      LOG.error("web view stopped: {}", e.toString());
    }
  }

  private static void closeAll(List<AutoCloseable> started) {
    for (int i = started.size() - 1; i >= 0; i--) {
      try {
        started.get(i).close();
      } catch (Exception e) {
        LOG.warn("closing {}: {}", started.get(i), e.toString());
      }
    }
    started.clear();
  }

  /** Copies the bundled model out of the jar into {@code dir}, where ONNX Runtime can read it. */
  private static Path bundledModel(Path dir) throws java.io.IOException {
    Path file = dir.resolve("shapes-tiny.onnx");
    try (java.io.InputStream in = DemoCommand.class.getResourceAsStream(BUNDLED_MODEL)) {
      if (in == null) {
        throw new UserException(
            "this build has no bundled model (" + BUNDLED_MODEL + "): pass --model FILE.onnx");
      }
      Files.copy(in, file);
    }
    return file;
  }
}
