package io.maskstream.detector;

import io.maskstream.detector.model.ModelLoadException;
import io.maskstream.detector.store.ModelSignatures;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.cli.KafkaOptions;
import io.maskstream.schemas.cli.UserException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code maskstream detect}: runs a Mask R-CNN ONNX model on every frame of the frames topic and
 * writes detections, masks and dead letters, until Ctrl-C or SIGTERM.
 */
@Command(
    name = "detect",
    mixinStandardHelpOptions = true,
    description = "Runs a Mask R-CNN ONNX model on every frame: frames topic -> event topics.")
public final class DetectCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(DetectCommand.class);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  /** How the detector keeps up with cameras. */
  enum Mode {
    realtime,
    complete
  }

  @Mixin ModelOptions modelOptions;

  @Option(
      names = "--score-threshold",
      paramLabel = "S",
      defaultValue = "0.5",
      description = "Minimum score of a detection reported (default: ${DEFAULT-VALUE}).")
  float scoreThreshold;

  @Option(
      names = "--threads",
      paramLabel = "N",
      defaultValue = "1",
      description = "Stream threads, all sharing one model session (default: ${DEFAULT-VALUE}).")
  int threads;

  @Option(
      names = "--mode",
      paramLabel = "MODE",
      defaultValue = "complete",
      description =
          "realtime (skip frames older than --max-frame-age) or complete (default:"
              + " ${DEFAULT-VALUE}).")
  Mode mode;

  @Option(
      names = "--max-frame-age",
      paramLabel = "MS",
      defaultValue = "2000",
      description = "Realtime mode: skip frames older than this (default: ${DEFAULT-VALUE} ms).")
  long maxFrameAgeMs;

  @Option(
      names = "--application-id",
      paramLabel = "ID",
      defaultValue = DetectorConfig.DEFAULT_APPLICATION_ID,
      description =
          "Kafka Streams application id; detectors sharing it share the cameras (default:"
              + " ${DEFAULT-VALUE}).")
  String applicationId;

  @Option(
      names = "--metrics-port",
      paramLabel = "PORT",
      defaultValue = "0",
      description = "Serve Prometheus metrics at http://HOST:PORT/metrics (default: off).")
  int metricsPort;

  @Option(
      names = "--trust",
      paramLabel = "KEY.pub|DIR",
      description =
          "Swap only to announced models signed by this public key (or any .pub key in this"
              + " folder); made by 'maskstream keys generate' (default: any announced model, with"
              + " a warning).")
  Path trust;

  @Mixin TrackingOptions tracking;

  @Mixin KafkaOptions kafka;

  @Override
  public Integer call() throws IOException, InterruptedException {
    DetectorConfig config = config();
    DetectorService service;
    try {
      service = DetectorService.start(config);
    } catch (ModelLoadException e) {
      throw new UserException(e.getMessage(), e);
    } catch (KafkaException e) {
      throw new UserException("cannot start on Kafka: " + e.getMessage(), e);
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              log.info("stopping the detector");
              service.close(CLOSE_TIMEOUT);
              stopped.countDown();
            },
            "detector-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    while (!stopped.await(1, java.util.concurrent.TimeUnit.SECONDS)) {
      if (service.failed()) {
        Throwable refusal = service.refusal();
        if (refusal == null) {
          log.error("the streams failed; stopping");
        }
        Runtime.getRuntime().removeShutdownHook(hook);
        service.close(CLOSE_TIMEOUT);
        if (refusal != null) {
          // reported as one line by the launcher
          throw new KafkaException("Kafka refused the detector: " + refusal.getMessage(), refusal);
        }
        return 1;
      }
    }
    return 0;
  }

  DetectorConfig config() {
    if (threads < 1) {
      throw new UserException("--threads must be at least 1");
    }
    if (maxFrameAgeMs < 1) {
      throw new UserException("--max-frame-age must be a positive number of milliseconds");
    }
    if (metricsPort < 0 || metricsPort > 65535) {
      throw new UserException("--metrics-port must be 0..65535");
    }
    ModelSignatures.Trust trusted = null;
    if (trust != null) {
      try {
        trusted = ModelSignatures.Trust.load(trust);
      } catch (IOException e) {
        throw new UserException("--trust " + trust + ": " + e.getMessage(), e);
      }
    }
    Properties props = kafka.clientProperties();
    TopicNames topics = CommandSupport.topics(props);
    return modelOptions
        .applyTo(DetectorConfig.builder(), scoreThreshold)
        .streamThreads(threads)
        .mode(mode == Mode.realtime ? DetectorConfig.Mode.REALTIME : DetectorConfig.Mode.COMPLETE)
        .maxFrameAge(Duration.ofMillis(maxFrameAgeMs))
        .applicationId(applicationId)
        .metricsPort(metricsPort)
        .trust(trusted)
        .tracker(tracking.settings())
        .topics(topics)
        .kafka(props)
        .build();
  }
}
