package io.maskstream.detector;

import io.maskstream.detector.image.FrameLimits;
import io.maskstream.detector.model.Device;
import io.maskstream.detector.model.GraphContract;
import io.maskstream.detector.store.ModelSignatures;
import io.maskstream.detector.track.TrackerSettings;
import io.maskstream.schemas.TopicNames;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Properties;

/**
 * Everything the detector is configured with, in one immutable value. Defaults live in {@link
 * #builder()}; the commands fill it from their options and {@code --kafka-config}.
 *
 * @param model the ONNX model file
 * @param labels a class-names file, or null for the model's metadata or the COCO default
 * @param contract the graph's convention, or null to recognise it from the graph
 * @param device where inference runs
 * @param intraOpThreads ONNX Runtime intra-op threads (0 lets ONNX Runtime choose)
 * @param streamThreads Kafka Streams threads, all sharing one model session
 * @param scoreThreshold minimum score of a reported detection
 * @param maskThreshold probability above which a pixel is inside a mask
 * @param topK at most this many detections per frame
 * @param mode whether old frames are skipped
 * @param maxFrameAge in realtime mode, frames older than this are skipped
 * @param topics topic names
 * @param applicationId Kafka Streams application id; processes sharing it share the cameras
 * @param kafka Kafka client properties (a private copy)
 * @param metricsPort port of the Prometheus endpoint, 0 for none
 * @param frameLimits the largest frame taken and the largest image the model sees
 * @param trust the keys a model announced on the models topic must be signed by, or null to swap to
 *     any announced model
 */
public record DetectorConfig(
    Path model,
    Path labels,
    GraphContract contract,
    Device device,
    int intraOpThreads,
    int streamThreads,
    float scoreThreshold,
    float maskThreshold,
    int topK,
    Mode mode,
    Duration maxFrameAge,
    TopicNames topics,
    String applicationId,
    Properties kafka,
    int metricsPort,
    FrameLimits frameLimits,
    ModelSignatures.Trust trust,
    TrackerSettings tracker) {

  /** How the detector keeps up with cameras. */
  public enum Mode {
    /** Skip frames older than {@code maxFrameAge}, counted per camera, so latency stays bounded. */
    REALTIME,
    /** Process every frame. */
    COMPLETE
  }

  /**
   * The score threshold where detections are shown or acted on: {@code detect}, {@code infer
   * --images} and {@code --video}.
   */
  public static final float SHOWN_SCORE_THRESHOLD = 0.5f;

  /**
   * The score threshold of detections measured against ground truth: {@code infer --data} and
   * {@code publish --gate}. torchvision's {@code box_score_thresh}: COCO AP counts low-score
   * detections too (they add recall at the end of the precision-recall curve), so a higher
   * threshold lowers the AP it reports.
   */
  public static final float EVALUATION_SCORE_THRESHOLD = 0.05f;

  /** The default Kafka Streams application id. */
  public static final String DEFAULT_APPLICATION_ID = "maskstream-detector";

  /** Validates ranges and copies the Kafka properties. */
  public DetectorConfig {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(maxFrameAge, "maxFrameAge");
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(applicationId, "applicationId");
    Objects.requireNonNull(frameLimits, "frameLimits");
    if (intraOpThreads < 0) {
      throw new IllegalArgumentException("intra-op threads must be >= 0, got " + intraOpThreads);
    }
    if (streamThreads < 1) {
      throw new IllegalArgumentException("stream threads must be >= 1, got " + streamThreads);
    }
    if (!(scoreThreshold >= 0 && scoreThreshold <= 1)) {
      throw new IllegalArgumentException(
          "score threshold must be in [0, 1], got " + scoreThreshold);
    }
    if (!(maskThreshold >= 0 && maskThreshold < 1)) {
      throw new IllegalArgumentException("mask threshold must be in [0, 1), got " + maskThreshold);
    }
    if (topK < 1) {
      throw new IllegalArgumentException("top-k must be >= 1, got " + topK);
    }
    if (maxFrameAge.isNegative() || maxFrameAge.isZero()) {
      throw new IllegalArgumentException("max frame age must be positive, got " + maxFrameAge);
    }
    if (metricsPort < 0 || metricsPort > 65535) {
      throw new IllegalArgumentException("metrics port must be 0..65535, got " + metricsPort);
    }
    Properties copy = new Properties();
    if (kafka != null) {
      copy.putAll(kafka);
    }
    kafka = copy;
  }

  /** The Kafka client properties (a copy). */
  @Override
  public Properties kafka() {
    Properties copy = new Properties();
    copy.putAll(kafka);
    return copy;
  }

  /** A builder holding the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from this configuration. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.model = model;
    b.labels = labels;
    b.contract = contract;
    b.device = device;
    b.intraOpThreads = intraOpThreads;
    b.streamThreads = streamThreads;
    b.scoreThreshold = scoreThreshold;
    b.maskThreshold = maskThreshold;
    b.topK = topK;
    b.mode = mode;
    b.maxFrameAge = maxFrameAge;
    b.topics = topics;
    b.applicationId = applicationId;
    b.kafka = kafka();
    b.metricsPort = metricsPort;
    b.frameLimits = frameLimits;
    b.trust = trust;
    b.tracker = tracker;
    return b;
  }

  /** Collects settings; {@code model} is required, everything else has a default. */
  public static final class Builder {
    private Path model;
    private Path labels;
    private GraphContract contract;
    private Device device = Device.AUTO;
    private int intraOpThreads = 0;
    private int streamThreads = 1;
    private float scoreThreshold = SHOWN_SCORE_THRESHOLD;
    private float maskThreshold = 0.5f;
    private int topK = 100;
    private Mode mode = Mode.COMPLETE;
    private Duration maxFrameAge = Duration.ofSeconds(2);
    private TopicNames topics = TopicNames.DEFAULTS;
    private String applicationId = DEFAULT_APPLICATION_ID;
    private Properties kafka = new Properties();
    private int metricsPort = 0;
    private FrameLimits frameLimits = FrameLimits.DEFAULTS;
    private ModelSignatures.Trust trust;
    private TrackerSettings tracker = TrackerSettings.DEFAULTS;

    private Builder() {}

    /** The ONNX model file (required). */
    public Builder model(Path value) {
      model = value;
      return this;
    }

    /** A class-names file (default: the model's metadata, then COCO). */
    public Builder labels(Path value) {
      labels = value;
      return this;
    }

    /** The graph's convention (default: recognised from the graph). */
    public Builder contract(GraphContract value) {
      contract = value;
      return this;
    }

    /** Where inference runs (default AUTO). */
    public Builder device(Device value) {
      device = value;
      return this;
    }

    /** ONNX Runtime intra-op threads (default 0: ONNX Runtime decides). */
    public Builder intraOpThreads(int value) {
      intraOpThreads = value;
      return this;
    }

    /** Kafka Streams threads (default 1). */
    public Builder streamThreads(int value) {
      streamThreads = value;
      return this;
    }

    /** Minimum score (default 0.5). */
    public Builder scoreThreshold(float value) {
      scoreThreshold = value;
      return this;
    }

    /** Mask probability threshold (default 0.5). */
    public Builder maskThreshold(float value) {
      maskThreshold = value;
      return this;
    }

    /** At most this many detections per frame (default 100). */
    public Builder topK(int value) {
      topK = value;
      return this;
    }

    /** Realtime or complete (default complete). */
    public Builder mode(Mode value) {
      mode = value;
      return this;
    }

    /** Realtime mode's maximum frame age (default 2 s). */
    public Builder maxFrameAge(Duration value) {
      maxFrameAge = value;
      return this;
    }

    /** Topic names (default the product's). */
    public Builder topics(TopicNames value) {
      topics = value;
      return this;
    }

    /** Kafka Streams application id (default {@value DetectorConfig#DEFAULT_APPLICATION_ID}). */
    public Builder applicationId(String value) {
      applicationId = value;
      return this;
    }

    /** Kafka client properties. */
    public Builder kafka(Properties value) {
      kafka = value;
      return this;
    }

    /** Prometheus endpoint port (default 0: none). */
    public Builder metricsPort(int value) {
      metricsPort = value;
      return this;
    }

    /** Frame size limits (default {@link FrameLimits#DEFAULTS}). */
    public Builder frameLimits(FrameLimits value) {
      frameLimits = value;
      return this;
    }

    /** Keys announced models must be signed by (default null: any announced model swaps in). */
    public Builder trust(ModelSignatures.Trust value) {
      trust = value;
      return this;
    }

    /** How detections are tracked (default {@link TrackerSettings#DEFAULTS}; null: no tracking). */
    public Builder tracker(TrackerSettings value) {
      tracker = value;
      return this;
    }

    /** The configuration. */
    public DetectorConfig build() {
      return new DetectorConfig(
          model,
          labels,
          contract,
          device,
          intraOpThreads,
          streamThreads,
          scoreThreshold,
          maskThreshold,
          topK,
          mode,
          maxFrameAge,
          topics,
          applicationId,
          kafka,
          metricsPort,
          frameLimits,
          trust,
          tracker);
    }
  }
}
