package io.maskstream.detector.stream;

import io.maskstream.detector.DetectorConfig;
import io.maskstream.detector.DetectorTopology;
import io.maskstream.detector.Instance;
import io.maskstream.detector.Segmentation;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.avro.Box;
import io.maskstream.schemas.avro.DeadLetter;
import io.maskstream.schemas.avro.Detection;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.FrameRef;
import io.maskstream.schemas.avro.InstanceMask;
import io.maskstream.schemas.avro.Keypoint;
import io.maskstream.schemas.avro.Masks;
import io.maskstream.schemas.avro.ModelRef;
import io.maskstream.schemas.avro.ObjectEvent;
import io.maskstream.schemas.avro.Rle;
import io.maskstream.schemas.avro.Timings;
import io.maskstream.schemas.avro.ZoneEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The last node of the detector topology: a {@link FrameOutcome.Detected} becomes a {@code
 * Detections} and a {@code Masks} record with the same key, {@link FrameOutcome.TrackEvents} one
 * objects or zone-events record each, a {@link FrameOutcome.Failed} its dead-letter record, all in
 * the product's Avro encoding. Stateless; one per stream task.
 */
final class EventEncoder implements Processor<byte[], FrameOutcome, byte[], byte[]> {
  private final DetectorConfig config;
  private final AvroSerde<Detections> detections;
  private final AvroSerde<Masks> masks;
  private final AvroSerde<DeadLetter> deadLetters;
  private final AvroSerde<ObjectEvent> objects;
  private final AvroSerde<ZoneEvent> zoneEvents;
  private ProcessorContext<byte[], byte[]> context;

  EventEncoder(DetectorConfig config, Map<String, Object> serdeConfig) {
    this.config = config;
    this.detections = new AvroSerde<>(Detections.class, serdeConfig, false);
    this.masks = new AvroSerde<>(Masks.class, serdeConfig, false);
    this.deadLetters = new AvroSerde<>(DeadLetter.class, serdeConfig, false);
    this.objects = new AvroSerde<>(ObjectEvent.class, serdeConfig, false);
    this.zoneEvents = new AvroSerde<>(ZoneEvent.class, serdeConfig, false);
  }

  @Override
  public void init(ProcessorContext<byte[], byte[]> context) {
    this.context = context;
  }

  @Override
  public void process(Record<byte[], FrameOutcome> record) {
    if (record.value() instanceof FrameOutcome.Failed failed) {
      context.forward(
          record.withValue(deadLetters.serialize(config.topics().deadLetters(), failed.letter())),
          DetectorTopology.DEAD_LETTER_SINK);
    } else if (record.value() instanceof FrameOutcome.TrackEvents tracked) {
      for (ObjectEvent e : tracked.objects()) {
        context.forward(
            record.withValue(objects.serialize(config.topics().objects(), e)),
            DetectorTopology.OBJECTS_SINK);
      }
      for (ZoneEvent e : tracked.zones()) {
        context.forward(
            record.withValue(zoneEvents.serialize(config.topics().zoneEvents(), e)),
            DetectorTopology.ZONE_EVENTS_SINK);
      }
    } else if (record.value() instanceof FrameOutcome.Detected detected) {
      Events events = events(detected);
      context.forward(
          record.withValue(detections.serialize(config.topics().detections(), events.detections)),
          DetectorTopology.DETECTIONS_SINK);
      context.forward(
          record.withValue(masks.serialize(config.topics().masks(), events.masks)),
          DetectorTopology.MASKS_SINK);
    }
  }

  record Events(Detections detections, Masks masks) {}

  /** Keypoints {@code x, y, score} as the event's records, or null. */
  private static List<Keypoint> keypoints(float[] points) {
    if (points == null) {
      return null;
    }
    List<Keypoint> out = new ArrayList<>(points.length / 3);
    for (int j = 0; j + 2 < points.length; j += 3) {
      out.add(new Keypoint(points[j], points[j + 1], points[j + 2]));
    }
    return out;
  }

  /** The two events of a detected frame. */
  static Events events(FrameOutcome.Detected d) {
    Segmentation s = d.segmentation();
    FrameRef ref =
        FrameRef.newBuilder()
            .setCamera(d.camera())
            .setSequence(d.sequence())
            .setCaptureTime(d.captureTime())
            .setWidth(s.width())
            .setHeight(s.height())
            .build();
    ModelRef model =
        ModelRef.newBuilder().setName(s.model().name()).setVersion(s.model().version()).build();
    List<Detection> found = new ArrayList<>(s.instances().size());
    List<InstanceMask> maskList = new ArrayList<>(s.instances().size());
    for (int i = 0; i < s.instances().size(); i++) {
      Instance instance = s.instances().get(i);
      long trackId = d.trackIds() == null ? 0 : d.trackIds()[i];
      found.add(
          Detection.newBuilder()
              .setClassId(instance.classId())
              .setLabel(instance.label())
              .setScore(instance.score())
              .setBox(new Box(instance.x1(), instance.y1(), instance.x2(), instance.y2()))
              .setTrackId(trackId > 0 ? trackId : null)
              .setKeypoints(keypoints(instance.keypoints()))
              .build());
      if (instance.mask() == null) {
        continue; // a model without a mask head
      }
      maskList.add(
          InstanceMask.newBuilder()
              .setDetectionIndex(i)
              .setRle(
                  new Rle(
                      instance.mask().height(),
                      instance.mask().width(),
                      instance.mask().toCompressedString()))
              .build());
    }
    Timings timings =
        Timings.newBuilder()
            .setDecodeMs(s.times().decodeMs())
            .setPreprocessMs(s.times().preprocessMs())
            .setInferenceMs(s.times().inferenceMs())
            .setPostprocessMs(s.times().postprocessMs())
            .setProcessedTime(Instant.ofEpochMilli(d.processedMillis()))
            .build();
    return new Events(
        Detections.newBuilder()
            .setFrame(ref)
            .setModel(model)
            .setTimings(timings)
            .setDetections(found)
            .setKeypointNames(s.keypoints().names())
            .setSkeleton(s.keypoints().skeleton())
            .build(),
        Masks.newBuilder().setFrame(ref).setModel(model).setMasks(maskList).build());
  }
}
