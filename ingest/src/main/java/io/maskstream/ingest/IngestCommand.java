package io.maskstream.ingest;

import io.maskstream.ingest.cameras.CameraTopic;
import io.maskstream.ingest.cameras.TopicCameras;
import io.maskstream.ingest.publish.FrameTopic;
import io.maskstream.ingest.publish.KafkaFrameSender;
import io.maskstream.ingest.publish.RecordSender;
import io.maskstream.schemas.CameraIds;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.avro.Frame;
import io.maskstream.schemas.cli.KafkaOptions;
import io.maskstream.schemas.cli.KafkaRefusals;
import io.maskstream.schemas.cli.UserException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code maskstream ingest}: cameras, streams, files and image folders into the frames topic, until
 * SIGTERM or Ctrl-C (or until every non-looping file has been read).
 *
 * <p>Each call creates and owns an {@link IngestService}; a shutdown hook closes it so that
 * grabbing stops, the producer is flushed and the readers are closed.
 */
@Command(
    name = "ingest",
    mixinStandardHelpOptions = true,
    description =
        "Publishes frames from cameras, streams, video files and image folders to the frames"
            + " topic (Avro Frame, JPEG, keyed by camera id).",
    footer = {
      "",
      "Examples:",
      "  maskstream ingest --camera gate=rtsp://10.0.0.7/stream1 --camera lobby=/dev/video0 --fps 10",
      "  maskstream ingest --config cameras.yaml --metrics-port 9464",
      "  maskstream ingest --camera replay=parking.mp4 --loop --max-width 1280",
      "  maskstream ingest                  # the cameras of the cameras topic, shared by a group"
    })
public final class IngestCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(IngestCommand.class);

  @Option(
      names = "--camera",
      paramLabel = "ID=URL",
      description =
          "A source (repeatable): rtsp://, http://, udp://, tcp://, /dev/videoN, a video file or a"
              + " folder of images.")
  Map<String, String> cameras = new LinkedHashMap<>();

  @Option(
      names = "--config",
      paramLabel = "cameras.yaml",
      description =
          "Cameras from a file: a 'cameras:' list of {id, url, fps, maxWidth, jpegQuality, loop,"
              + " realtime, readTimeoutSeconds, options}; top-level keys set defaults.")
  Path config;

  @Option(
      names = "--fps",
      paramLabel = "N",
      description = "Target frames per second per camera (default: 10).")
  Double fps;

  @Option(
      names = "--max-width",
      paramLabel = "PX",
      description = "Downscale wider frames to this width (default: 0, keep the size).")
  Integer maxWidth;

  @Option(
      names = "--jpeg-quality",
      paramLabel = "Q",
      description = "JPEG quality 1-100 (default: 85).")
  Integer jpegQuality;

  @Option(names = "--loop", description = "Restart video files and image folders at their end.")
  Boolean loop;

  @Option(
      names = "--realtime",
      negatable = true,
      description =
          "Play files at their own frame rate like a camera (default); --no-realtime reads them as"
              + " fast as Kafka takes the frames.")
  Boolean realtime;

  @Option(
      names = "--read-timeout",
      paramLabel = "SECONDS",
      description =
          "How long a network read may block before the source counts as down (default: 5).")
  Double readTimeoutSeconds;

  @Option(
      names = "--ffmpeg-option",
      paramLabel = "KEY=VALUE",
      description =
          "An FFmpeg input option for every camera (repeatable), e.g. rtsp_transport=udp.")
  Map<String, String> ffmpegOptions = new LinkedHashMap<>();

  @Option(
      names = "--metrics-port",
      paramLabel = "PORT",
      description = "Prometheus endpoint /metrics (default: 9464; 0 any free port; -1 off).",
      defaultValue = "9464")
  int metricsPort;

  @Option(
      names = "--status-interval",
      paramLabel = "SECONDS",
      description = "Period of the one-line status log (default: 30; 0 off).",
      defaultValue = "30")
  double statusInterval;

  @Option(
      names = "--cameras-from-topic",
      description =
          "Run the cameras defined on the cameras topic ('maskstream camera add'), sharing them with"
              + " the other ingest processes of --group (the default without --camera and"
              + " --config).")
  boolean camerasFromTopic;

  @Option(
      names = "--group",
      paramLabel = "ID",
      description =
          "Consumer group of the ingest processes that share the cameras topic (default:"
              + " maskstream-ingest).",
      defaultValue = TopicCameras.DEFAULT_GROUP)
  String group;

  @Mixin KafkaOptions kafka = new KafkaOptions();

  private volatile IngestService running;

  /** The validated configuration of this command line. */
  IngestConfig ingestConfig() {
    if (readTimeoutSeconds != null && !(readTimeoutSeconds > 0)) {
      throw new UserException("--read-timeout must be positive, got " + readTimeoutSeconds);
    }
    if (!(statusInterval >= 0)) {
      throw new UserException("--status-interval must be 0 or positive, got " + statusInterval);
    }
    IngestConfigLoader.Overrides overrides =
        new IngestConfigLoader.Overrides(
            fps,
            maxWidth,
            jpegQuality,
            loop,
            realtime,
            readTimeoutSeconds == null
                ? null
                : Duration.ofMillis(Math.round(readTimeoutSeconds * 1000)),
            ffmpegOptions);
    try {
      return new IngestConfig(
          IngestConfigLoader.cameras(cameras, config, overrides),
          metricsPort,
          Duration.ofMillis(Math.round(statusInterval * 1000)),
          IngestConfig.Defaults.IN_FLIGHT_PER_CAMERA);
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage(), e);
    }
  }

  /** Whether the cameras come from the cameras topic rather than the command line or a file. */
  boolean topicMode() {
    if (camerasFromTopic && (!cameras.isEmpty() || config != null)) {
      throw new UserException(
          "--cameras-from-topic takes the cameras from the topic: drop --camera and --config");
    }
    return camerasFromTopic || (cameras.isEmpty() && config == null);
  }

  @Override
  public Integer call() throws InterruptedException {
    if (topicMode()) {
      return callTopicMode();
    }
    IngestConfig ingest = ingestConfig();
    if (ingest.cameras().stream().noneMatch(IngestConfig.Camera::hasValidId)) {
      throw new UserException(
          "no camera has a valid id: use " + CameraIds.RULE + " (e.g. --camera gate=rtsp://...)");
    }
    Properties properties = kafka.clientProperties();
    TopicNames names = topicNames(properties);
    RecordSender sender = sender(properties, names);
    IngestService service;
    try {
      // Kafka need not be up: the cameras start and hold their newest frame until it is
      service = IngestService.start(ingest, sender, timeout -> prepare(properties, names, timeout));
    } catch (UncheckedIOException e) {
      throw new UserException(e.getMessage(), e);
    }
    List<String> ids = ingest.cameras().stream().map(IngestConfig.Camera::id).toList();
    LOG.info("ingesting {} camera(s) {} into {}", ids.size(), ids, names.frames());
    return runUntilEnd(service, service::close);
  }

  private Integer callTopicMode() throws InterruptedException {
    List<String> perCamera = new ArrayList<>();
    if (fps != null) {
      perCamera.add("--fps");
    }
    if (maxWidth != null) {
      perCamera.add("--max-width");
    }
    if (jpegQuality != null) {
      perCamera.add("--jpeg-quality");
    }
    if (loop != null) {
      perCamera.add("--loop");
    }
    if (realtime != null) {
      perCamera.add("--realtime");
    }
    if (readTimeoutSeconds != null) {
      perCamera.add("--read-timeout");
    }
    if (!ffmpegOptions.isEmpty()) {
      perCamera.add("--ffmpeg-option");
    }
    if (!perCamera.isEmpty()) {
      throw new UserException(
          String.join(", ", perCamera)
              + ": cameras of the topic carry their own settings; set them with 'maskstream"
              + " camera add|update'");
    }
    if (group == null || group.isBlank()) {
      throw new UserException("--group must not be empty");
    }
    if (!(statusInterval >= 0)) {
      throw new UserException("--status-interval must be 0 or positive, got " + statusInterval);
    }
    IngestConfig ingest;
    try {
      ingest =
          new IngestConfig(
              List.of(),
              metricsPort,
              Duration.ofMillis(Math.round(statusInterval * 1000)),
              IngestConfig.Defaults.IN_FLIGHT_PER_CAMERA);
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage(), e);
    }
    Properties properties = kafka.clientProperties();
    TopicNames names = topicNames(properties);
    RecordSender sender = sender(properties, names);
    IngestService service;
    try {
      service =
          IngestService.startDynamic(
              ingest,
              sender,
              timeout -> {
                prepare(properties, names, timeout);
                CameraTopic.ensureCamerasTopic(properties, names, timeout);
              });
    } catch (UncheckedIOException e) {
      throw new UserException(e.getMessage(), e);
    }
    TopicCameras topicCameras;
    try {
      topicCameras = TopicCameras.start(service, properties, names, group);
    } catch (KafkaException e) {
      service.close();
      throw new UserException("--kafka-config: " + e.getMessage(), e);
    }
    stopTopic = topicCameras;
    LOG.info(
        "ingesting the cameras of {} assigned to this process (group {}) into {}",
        names.cameras(),
        group,
        names.frames());
    return runUntilEnd(
        service,
        () -> {
          topicCameras.close();
          service.close();
        });
  }

  private static TopicNames topicNames(Properties properties) {
    try {
      return TopicNames.from(properties);
    } catch (IllegalArgumentException e) {
      throw new UserException("--kafka-config: " + e.getMessage(), e);
    }
  }

  private static RecordSender sender(Properties properties, TopicNames names) {
    try {
      return explained(new KafkaFrameSender(properties, names.frames()), properties);
    } catch (KafkaException e) {
      throw new UserException("--kafka-config: " + e.getMessage(), e);
    }
  }

  /**
   * Waits until {@code service} ends (a refusal by Kafka) or the JVM is asked to stop (SIGTERM:
   * {@code stop} runs in a shutdown hook), then stops it.
   *
   * @return 1 when the service failed, else 0
   */
  private int runUntilEnd(IngestService service, Runnable stop) throws InterruptedException {
    running = service;
    CountDownLatch closed = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              LOG.info("stopping ingest");
              stop.run();
              closed.countDown();
            },
            "ingest-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    Optional<String> failure = service.awaitEnd();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
      stop.run();
    } catch (IllegalStateException shuttingDown) {
      // the JVM is already exiting: the hook stops the service
      closed.await();
    }
    return failure.isPresent() ? 1 : 0;
  }

  private volatile TopicCameras stopTopic;

  /** {@code sender}, whose refusals say in one line which user was refused what. */
  private static RecordSender explained(RecordSender sender, Properties properties) {
    return new RecordSender() {
      @Override
      public void send(Frame frame, Consumer<Exception> done) {
        sender.send(
            frame,
            error -> {
              Optional<String> refusal =
                  error == null ? Optional.empty() : KafkaRefusals.describe(error, properties);
              done.accept(refusal.isPresent() ? new KafkaException(refusal.get(), error) : error);
            });
      }

      @Override
      public void flush() {
        sender.flush();
      }

      @Override
      public void close(Duration timeout) {
        sender.close(timeout);
      }
    };
  }

  /** Prepares the frames topic; Kafka's refusals are said in one line naming user and cause. */
  private static void prepare(Properties properties, TopicNames names, Duration timeout) {
    try {
      FrameTopic.prepare(properties, names, timeout);
    } catch (KafkaException e) {
      Optional<String> refusal = KafkaRefusals.describe(e, properties);
      if (refusal.isPresent()) {
        throw new KafkaException(refusal.get(), e);
      }
      throw e;
    }
  }

  /** Stops a running {@link #call()} as SIGTERM would: it returns 0 once ingest has stopped. */
  void stop() {
    TopicCameras topicCameras = stopTopic;
    if (topicCameras != null) {
      topicCameras.close();
    }
    IngestService service = running;
    if (service != null) {
      service.close();
    }
  }
}
