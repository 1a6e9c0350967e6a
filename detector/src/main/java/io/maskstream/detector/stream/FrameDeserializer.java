package io.maskstream.detector.stream;

import io.maskstream.detector.DetectorConfig;
import io.maskstream.detector.SegmentationException;
import io.maskstream.detector.Segmenter;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.avro.Frame;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.apache.avro.AvroRuntimeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * The frames source's value deserializer: parses the Avro frame and starts decoding its image on
 * the decode-ahead executor. Kafka Streams deserializes the next record of a partition when it
 * hands the current one to the processor, so the next image decodes while the model runs on the
 * current one. Never throws: a record that is not a frame becomes an {@link IncomingFrame} with the
 * reason, for the processor to send to the dead-letter topic, whatever the bytes.
 *
 * <p>In realtime mode, a frame already older than the maximum age is not decoded (the processor
 * will skip it). When the executor refuses work (shutting down), the processor decodes in place.
 * Thread-safe: one instance serves every stream task.
 */
final class FrameDeserializer implements Deserializer<IncomingFrame> {
  private final DetectorConfig config;
  private final Segmenter segmenter;
  private final Executor decodeAhead;
  private final Clock clock;
  private final AvroSerde<Frame> frames;

  FrameDeserializer(
      DetectorConfig config,
      Segmenter segmenter,
      Executor decodeAhead,
      Clock clock,
      Map<String, Object> serdeConfig) {
    this.config = config;
    this.segmenter = segmenter;
    this.decodeAhead = decodeAhead;
    this.clock = clock;
    this.frames = new AvroSerde<>(Frame.class, serdeConfig, false);
  }

  @Override
  public IncomingFrame deserialize(String topic, byte[] data) {
    if (data == null || data.length == 0) {
      return IncomingFrame.unreadable(data, "empty record: no frame in the value", null);
    }
    Frame frame;
    try {
      frame = frames.deserialize(topic, data);
    } catch (SerializationException | AvroRuntimeException e) {
      return IncomingFrame.unreadable(data, "undecodable frame record: " + oneLine(e), e);
    } catch (RuntimeException | OutOfMemoryError e) {
      // hostile bytes can make any decoder fail in its own way (a length past the end, a size
      // too large to allocate); a throwing deserializer would end the stream thread
      return IncomingFrame.unreadable(
          data, "undecodable frame record: " + e.getClass().getSimpleName() + ": " + oneLine(e), e);
    }
    if (!frame.getImage().hasRemaining() || FrameProcessor.tooOld(config, frame, clock.millis())) {
      return IncomingFrame.of(data, frame);
    }
    byte[] encoded = IncomingFrame.bytes(frame.getImage());
    try {
      return IncomingFrame.decodingAhead(
          data,
          frame,
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return IncomingFrame.Decoded.run(segmenter, encoded);
                } catch (SegmentationException e) {
                  throw new CompletionException(e);
                }
              },
              decodeAhead));
    } catch (RejectedExecutionException e) {
      return IncomingFrame.of(data, frame);
    }
  }

  static String oneLine(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
