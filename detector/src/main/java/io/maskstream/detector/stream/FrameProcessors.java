package io.maskstream.detector.stream;

import io.maskstream.detector.DetectorConfig;
import io.maskstream.detector.DetectorTopology;
import io.maskstream.detector.Segmenter;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Executor;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;

/**
 * Makes the frames source's deserializer and the frame processors of the detector topology, one
 * processor per stream task.
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

  /** A supplier of new processors sharing {@code segmenter} and {@code metrics}. */
  public static ProcessorSupplier<byte[], IncomingFrame, byte[], byte[]> supplier(
      DetectorConfig config,
      Segmenter segmenter,
      DetectorMetrics metrics,
      Clock clock,
      Map<String, Object> serdeConfig) {
    Map<String, Object> copy = Map.copyOf(serdeConfig);
    boolean paced = DetectorTopology.pacesCommits(config);
    return () ->
        new FrameProcessor(
            config,
            segmenter,
            metrics,
            clock,
            copy,
            paced
                ? new CommitPacer(
                    DetectorTopology.MIN_COMMIT_PACE_MS, DetectorTopology.MAX_COMMIT_PACE_MS)
                : null);
  }
}
