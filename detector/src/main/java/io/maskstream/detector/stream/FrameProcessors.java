package io.maskstream.detector.stream;

import io.maskstream.detector.DetectorConfig;
import io.maskstream.detector.Segmenter;
import java.time.Clock;
import java.util.Map;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;

/** Makes the frame processors of the detector topology, one per stream task. */
public final class FrameProcessors {
  private FrameProcessors() {}

  /** A supplier of new processors sharing {@code segmenter} and {@code metrics}. */
  public static ProcessorSupplier<byte[], byte[], byte[], byte[]> supplier(
      DetectorConfig config,
      Segmenter segmenter,
      DetectorMetrics metrics,
      Clock clock,
      Map<String, Object> serdeConfig) {
    Map<String, Object> copy = Map.copyOf(serdeConfig);
    return () -> new FrameProcessor(config, segmenter, metrics, clock, copy);
  }
}
