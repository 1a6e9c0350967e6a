package io.maskstream.detector.stream;

import io.maskstream.detector.DetectorConfig;
import io.maskstream.detector.DetectorTopology;
import io.maskstream.detector.Segmenter;
import io.maskstream.detector.track.ByteTracker;
import io.maskstream.detector.track.TrackerSettings;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Executor;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;

/**
 * Makes the nodes of the detector topology: the frames source's deserializer, the detect node and
 * the encode node (one processor per stream task each).
 */
public final class FrameProcessors {
  private FrameProcessors() {}

  /**
   * The frames source's value deserializer; values are handed to the {@link #supplier}'s
   * processors.
   *
   * @param decodeAhead where images are decoded while the model runs on the previous frame (a
   *     direct executor decodes in place); owned by the caller
   */
  public static Deserializer<IncomingFrame> deserializer(
      DetectorConfig config,
      Segmenter segmenter,
      Executor decodeAhead,
      Clock clock,
      Map<String, Object> serdeConfig) {
    return new FrameDeserializer(config, segmenter, decodeAhead, clock, Map.copyOf(serdeConfig));
  }

  /** A supplier of new detect nodes sharing {@code segmenter} and {@code metrics}. */
  public static ProcessorSupplier<byte[], IncomingFrame, byte[], FrameOutcome> supplier(
      DetectorConfig config, Segmenter segmenter, DetectorMetrics metrics, Clock clock) {
    boolean paced = DetectorTopology.pacesCommits(config);
    return () ->
        new FrameProcessor(
            config,
            segmenter,
            metrics,
            clock,
            paced
                ? new CommitPacer(
                    DetectorTopology.MIN_COMMIT_PACE_MS, DetectorTopology.MAX_COMMIT_PACE_MS)
                : null);
  }

  /** A supplier of new encode nodes: frame outcomes to the records of the event topics. */
  public static ProcessorSupplier<byte[], FrameOutcome, byte[], byte[]> encoder(
      DetectorConfig config, Map<String, Object> serdeConfig) {
    Map<String, Object> copy = Map.copyOf(serdeConfig);
    return () -> new EventEncoder(config, copy);
  }

  /** A supplier of new track nodes keeping the cameras' tracks in the store {@code storeName}. */
  public static ProcessorSupplier<byte[], FrameOutcome, byte[], FrameOutcome> tracker(
      TrackerSettings settings, String storeName) {
    ByteTracker tracker = new ByteTracker(settings);
    return () -> new TrackerNode(tracker, storeName);
  }
}
