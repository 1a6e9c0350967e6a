package io.maskstream.sinks.kafka;

import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.Frame;
import io.maskstream.schemas.avro.InstanceMask;
import io.maskstream.schemas.avro.Masks;
import io.maskstream.schemas.avro.ZoneEvent;
import io.maskstream.schemas.rle.CocoRle;
import java.util.Map;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Decodes and checks the records of the frames, detections, masks and zone events topics. A record
 * that cannot be used raises {@link UnusableRecordException} with a one-line reason, for the
 * dead-letter topic.
 *
 * <p>Thread-safe once built; holds no resources.
 */
public final class EventDecoder {
  private final TopicNames topics;
  private final AvroSerde<Frame> frames;
  private final AvroSerde<Detections> detections;
  private final AvroSerde<Masks> masks;
  private final AvroSerde<ZoneEvent> zoneEvents;
  private final boolean checkMasks;

  /**
   * A decoder configured from the Kafka client properties (registry URL or single-object encoding).
   *
   * @param checkMasks whether to parse every mask's RLE string, so that a malformed mask is refused
   *     here rather than written out
   */
  public EventDecoder(Map<String, Object> clientProperties, TopicNames topics, boolean checkMasks) {
    this.topics = topics;
    this.frames = new AvroSerde<>(Frame.class, clientProperties, false);
    this.detections = new AvroSerde<>(Detections.class, clientProperties, false);
    this.masks = new AvroSerde<>(Masks.class, clientProperties, false);
    this.zoneEvents = new AvroSerde<>(ZoneEvent.class, clientProperties, false);
    this.checkMasks = checkMasks;
  }

  /**
   * The record's event: a {@link Frame}, {@link Detections}, {@link Masks} or {@link ZoneEvent}.
   *
   * @throws UnusableRecordException when it has no value, cannot be decoded or is inconsistent
   */
  public SpecificRecord decode(ConsumerRecord<byte[], byte[]> record) {
    if (record.value() == null) {
      throw new UnusableRecordException("record has no value (tombstone)", null);
    }
    try {
      if (record.topic().equals(topics.frames())) {
        Frame frame = frames.deserialize(record.topic(), record.value());
        if (frame.getImage().remaining() == 0) {
          throw new UnusableRecordException("frame has no image bytes", null);
        }
        return frame;
      }
      if (record.topic().equals(topics.detections())) {
        return detections.deserialize(record.topic(), record.value());
      }
      if (record.topic().equals(topics.masks())) {
        Masks decoded = masks.deserialize(record.topic(), record.value());
        if (checkMasks) {
          check(decoded);
        }
        return decoded;
      }
      if (record.topic().equals(topics.zoneEvents())) {
        return zoneEvents.deserialize(record.topic(), record.value());
      }
    } catch (SerializationException | AvroRuntimeException e) {
      throw new UnusableRecordException(e.getMessage(), e);
    }
    throw new UnusableRecordException("unexpected topic " + record.topic(), null);
  }

  private static void check(Masks masks) {
    for (InstanceMask mask : masks.getMasks()) {
      if (mask.getDetectionIndex() < 0) {
        throw new UnusableRecordException(
            "negative detection index " + mask.getDetectionIndex(), null);
      }
      try {
        CocoRle.fromString(
            mask.getRle().getHeight(), mask.getRle().getWidth(), mask.getRle().getCounts());
      } catch (IllegalArgumentException e) {
        throw new UnusableRecordException(
            "bad RLE of detection " + mask.getDetectionIndex() + ": " + e.getMessage(), e);
      }
    }
  }

  /** Why a record cannot be used; the message is one line for the dead-letter topic. */
  public static final class UnusableRecordException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The reason, and the cause when an exception was behind it. */
    public UnusableRecordException(String reason, Throwable cause) {
      super(reason == null ? "undecodable record" : reason, cause);
    }
  }
}
