package io.maskstream.detector.stream;

import io.maskstream.detector.DetectorConfig;
import io.maskstream.detector.Segmentation;
import io.maskstream.detector.SegmentationException;
import io.maskstream.detector.Segmenter;
import io.maskstream.detector.image.DecodedImage;
import io.maskstream.schemas.CameraIds;
import io.maskstream.schemas.avro.DeadLetter;
import io.maskstream.schemas.avro.Frame;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The detect node: turns one frame record into its segmentation ({@link FrameOutcome.Detected}), or
 * into its dead letter with the reason ({@link FrameOutcome.Failed}) when the record, its image or
 * the model run fails, and forwards it to the nodes after it. In realtime mode frames older than
 * the maximum age are skipped and counted per camera.
 *
 * <p>After each frame's events (or dead letter) it asks for a commit as the {@link CommitPacer}
 * says, unless the user set {@code commit.interval.ms} ({@code pacer} null).
 *
 * <p>One instance per stream task; the {@link Segmenter} is shared and owned by the application.
 */
final class FrameProcessor implements Processor<byte[], IncomingFrame, byte[], FrameOutcome> {
  static final String STAGE = "detect";

  /** How often, in ms, a processor checks whether processed frames are owed a commit. */
  static final long PACE_CHECK_MS = 50;

  private static final int MAX_REASON = 1000;

  private static final Logger log = LoggerFactory.getLogger(FrameProcessor.class);

  private final DetectorConfig config;
  private final Segmenter segmenter;
  private final DetectorMetrics metrics;
  private final Clock clock;
  private final CommitPacer pacer;
  private ProcessorContext<byte[], FrameOutcome> context;

  FrameProcessor(
      DetectorConfig config,
      Segmenter segmenter,
      DetectorMetrics metrics,
      Clock clock,
      CommitPacer pacer) {
    this.config = config;
    this.pacer = pacer;
    this.segmenter = segmenter;
    this.metrics = metrics;
    this.clock = clock;
  }

  @Override
  public void init(ProcessorContext<byte[], FrameOutcome> context) {
    this.context = context;
    if (pacer != null) {
      // frames that stopped coming still get their commit in time
      context.schedule(
          Duration.ofMillis(PACE_CHECK_MS),
          PunctuationType.WALL_CLOCK_TIME,
          t -> {
            if (pacer.due(clock.millis())) {
              context.commit();
            }
          });
    }
  }

  /**
   * Processes one record. Whatever goes wrong with this record - an odd image, a failing model, a
   * bug in pre- or post-processing, a frame that needs more memory than the JVM has - becomes its
   * dead letter with the error type, and the stream thread goes on with the next record; only
   * Kafka's own failures (a fenced producer, a migrated task) leave this method, since Kafka
   * Streams must handle those.
   */
  @Override
  public void process(Record<byte[], IncomingFrame> record) {
    IncomingFrame in = record.value(); // never null: the source's deserializer makes one per record
    Outcome outcome;
    try {
      outcome = detect(record, in);
    } catch (RuntimeException | OutOfMemoryError e) {
      Frame frame = in.frame();
      outcome =
          Outcome.failed(
              frame == null || !CameraIds.isValid(frame.getCamera()) ? null : frame.getCamera(),
              (frame == null ? "record" : "frame " + name(frame))
                  + ": "
                  + e.getClass().getSimpleName()
                  + ": "
                  + FrameDeserializer.oneLine(e),
              e);
    }
    if (outcome == null) {
      return; // skipped for its age
    }
    if (outcome.reason != null) {
      deadLetter(record, outcome.camera, outcome.reason, outcome.cause);
      return;
    }
    FrameOutcome.Detected detected = outcome.detected;
    Segmentation s = detected.segmentation();
    long age = ageMillis(detected.processedMillis(), detected.captureTime().toEpochMilli());
    context.forward(
        record
            .withKey(outKey(record, detected.camera()))
            .withValue((FrameOutcome) detected)
            .withTimestamp(record.timestamp()));
    metrics.processed(detected.camera(), s.times().inferenceMs(), age, s.instances().size());
    maybeCommit(detected.processedMillis(), age);
  }

  /** The frame's segmentation, or why it failed; null when realtime mode skips it. */
  private Outcome detect(Record<byte[], IncomingFrame> record, IncomingFrame in) {
    Frame frame = in.frame();
    if (frame == null) {
      String key = keyString(record);
      return Outcome.failed(CameraIds.isValid(key) ? key : null, in.problem(), in.cause());
    }
    String camera = frame.getCamera();
    if (!CameraIds.isValid(camera)) {
      return Outcome.failed(
          null,
          "camera id "
              + CameraIds.quote(camera)
              + " breaks the id rules ("
              + CameraIds.RULE
              + "): the producer must use a valid id",
          null);
    }
    if (tooOld(config, frame, clock.millis())) {
      long n = metrics.skipped(camera);
      if (n == 1 || n % 100 == 0) {
        log.info(
            "camera {}: skipped {} frame(s) older than {} ms (realtime mode)",
            camera,
            n,
            config.maxFrameAge().toMillis());
      }
      return null;
    }
    if (!frame.getImage().hasRemaining()) {
      return Outcome.failed(camera, "frame " + name(frame) + " has no image", null);
    }
    Segmentation s;
    try {
      IncomingFrame.Decoded image = in.image(segmenter);
      DecodedImage pixels = image.image();
      if (pixels.frameWidth() != frame.getWidth() || pixels.frameHeight() != frame.getHeight()) {
        return Outcome.failed(
            camera,
            "frame "
                + name(frame)
                + " says it is "
                + frame.getWidth()
                + "x"
                + frame.getHeight()
                + " but its image is "
                + pixels.frameWidth()
                + "x"
                + pixels.frameHeight()
                + ": the producer must give the image's size",
            null);
      }
      s = segmenter.segment(pixels, image.decodeMs());
    } catch (SegmentationException e) {
      return Outcome.failed(
          camera, "frame " + name(frame) + ": " + FrameDeserializer.oneLine(e), e);
    }
    return new Outcome(
        camera,
        new FrameOutcome.Detected(
            camera, frame.getSequence(), frame.getCaptureTime(), s, clock.millis(), null),
        null,
        null);
  }

  /**
   * What became of one frame: its segmentation, or the reason it is a dead letter.
   *
   * @param camera the frame's camera when it has a valid id, else null
   */
  private record Outcome(
      String camera, FrameOutcome.Detected detected, String reason, Throwable cause) {
    static Outcome failed(String camera, String reason, Throwable cause) {
      return new Outcome(camera, null, reason, cause);
    }
  }

  /** {@code camera/sequence}, safe for a one-line message. */
  private static String name(Frame frame) {
    String camera = frame.getCamera();
    return (CameraIds.isValid(camera) ? camera : CameraIds.quote(camera))
        + "/"
        + frame.getSequence();
  }

  /** How old a frame captured at {@code captured} is at {@code nowMillis}, saturated. */
  static long ageMillis(long nowMillis, long captured) {
    long age = nowMillis - captured;
    // overflow only for capture times near the ends of the long range: saturate
    if (((nowMillis ^ captured) & (nowMillis ^ age)) < 0) {
      return captured < 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
    }
    return age;
  }

  /** Whether realtime mode skips {@code frame} at {@code nowMillis} for its age. */
  static boolean tooOld(DetectorConfig config, Frame frame, long nowMillis) {
    return config.mode() == DetectorConfig.Mode.REALTIME
        && ageMillis(nowMillis, frame.getCaptureTime().toEpochMilli())
            > config.maxFrameAge().toMillis();
  }

  private void maybeCommit(long now, long frameAgeMillis) {
    if (pacer != null && pacer.commitNow(now, frameAgeMillis)) {
      context.commit();
    }
  }

  private void deadLetter(
      Record<byte[], IncomingFrame> record, String camera, String reason, Throwable cause) {
    byte[] raw = record.value().raw();
    RecordMetadata meta = context.recordMetadata().orElse(null);
    Map<String, ByteBuffer> headers = new HashMap<>();
    for (Header h : record.headers()) {
      headers.put(h.key(), h.value() == null ? ByteBuffer.allocate(0) : ByteBuffer.wrap(h.value()));
    }
    DeadLetter letter =
        DeadLetter.newBuilder()
            .setSourceTopic(meta == null ? config.topics().frames() : meta.topic())
            .setSourcePartition(meta == null ? -1 : meta.partition())
            .setSourceOffset(meta == null ? -1 : meta.offset())
            .setKey(record.key() == null ? null : ByteBuffer.wrap(record.key()))
            .setValue(raw == null ? null : ByteBuffer.wrap(raw))
            .setStage(STAGE)
            .setReason(shorten(reason))
            .setErrorType(cause == null ? null : cause.getClass().getName())
            .setFailedTime(Instant.ofEpochMilli(clock.millis()))
            .setHeaders(headers)
            .build();
    log.warn("dead letter: {}", reason);
    metrics.failed(camera);
    context.forward(record.withValue((FrameOutcome) new FrameOutcome.Failed(letter)));
    maybeCommit(clock.millis(), 0);
  }

  /** A reason of at most {@value #MAX_REASON} characters: dead letters are read by people. */
  private static String shorten(String reason) {
    return reason.length() <= MAX_REASON ? reason : reason.substring(0, MAX_REASON - 3) + "...";
  }

  private static byte[] outKey(Record<byte[], IncomingFrame> record, String camera) {
    return record.key() != null ? record.key() : camera.getBytes(StandardCharsets.UTF_8);
  }

  private static String keyString(Record<byte[], IncomingFrame> record) {
    return record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
  }
}
