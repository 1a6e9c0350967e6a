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
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

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

  /**
   * A supplier of new track nodes keeping the cameras' tracks in the store {@code tracksStore},
   * their zone standings and line counts in {@code zoneStateStore}, and reading the cameras' zone
   * definitions from the global store {@code zonesStore} (the records of {@code zonesTopic}).
   */
  public static ProcessorSupplier<byte[], FrameOutcome, byte[], FrameOutcome> tracker(
      TrackerSettings settings,
      DetectorMetrics metrics,
      String tracksStore,
      String zoneStateStore,
      String zonesStore,
      String zonesTopic,
      Map<String, Object> serdeConfig) {
    ByteTracker tracker = new ByteTracker(settings);
    Map<String, Object> copy = Map.copyOf(serdeConfig);
    return () ->
        new TrackerNode(
            tracker, metrics, tracksStore, zoneStateStore, zonesStore, zonesTopic, copy);
  }

  /**
   * A supplier of the global node that keeps the zones topic in the store {@code zonesStore}:
   * camera id to the stored bytes of its {@code ZoneSet}; a tombstone removes the camera's entry.
   * The bytes are decoded where they are used, so a bad record costs its camera only.
   */
  public static ProcessorSupplier<String, byte[], Void, Void> zonesLoader(String zonesStore) {
    return () ->
        new Processor<String, byte[], Void, Void>() {
          private KeyValueStore<String, byte[]> store;

          @Override
          public void init(ProcessorContext<Void, Void> context) {
            store = context.getStateStore(zonesStore);
          }

          @Override
          public void process(Record<String, byte[]> record) {
            if (record.key() == null) {
              return;
            }
            if (record.value() == null) {
              store.delete(record.key());
            } else {
              store.put(record.key(), record.value());
            }
          }
        };
  }
}
