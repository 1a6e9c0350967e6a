package io.maskstream.detector.stream;

import io.maskstream.detector.track.ByteTracker;
import io.maskstream.detector.track.Observation;
import io.maskstream.detector.track.Track;
import io.maskstream.detector.track.TrackerSnapshots;
import io.maskstream.detector.track.TrackerState;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.avro.ModelRef;
import io.maskstream.schemas.avro.ObjectBox;
import io.maskstream.schemas.avro.ObjectEvent;
import io.maskstream.schemas.avro.ObjectEventType;
import io.maskstream.schemas.avro.TrackerSnapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The track node: gives each detection of a frame its camera's track id, and raises the lifecycle
 * events of its objects ({@code new} when a track is confirmed, {@code update} when it is found
 * again or scores better than ever, {@code end} when it was lost too long). The camera's tracks
 * live in a changelogged state store (camera id -> {@link TrackerSnapshot}), written in the same
 * exactly-once transaction as the frame's events, so a detector that takes over a camera after a
 * crash or a rebalance continues with the same tracks and ids. Dead letters pass through. One per
 * stream task.
 */
final class TrackerNode implements Processor<byte[], FrameOutcome, byte[], FrameOutcome> {
  private static final Logger log = LoggerFactory.getLogger(TrackerNode.class);

  private final ByteTracker tracker;
  private final String storeName;
  // the store's values are this product's own: single-object encoding, whatever registry is set
  private final AvroSerde<TrackerSnapshot> snapshots = new AvroSerde<>(TrackerSnapshot.class);
  private KeyValueStore<String, byte[]> store;
  private ProcessorContext<byte[], FrameOutcome> context;

  TrackerNode(ByteTracker tracker, String storeName) {
    this.tracker = tracker;
    this.storeName = storeName;
  }

  @Override
  public void init(ProcessorContext<byte[], FrameOutcome> context) {
    this.context = context;
    this.store = context.getStateStore(storeName);
  }

  @Override
  public void process(Record<byte[], FrameOutcome> record) {
    if (!(record.value() instanceof FrameOutcome.Detected detected)) {
      context.forward(record);
      return;
    }
    TrackerState state = load(detected.camera());
    List<Observation> observations = Observation.of(detected.segmentation());
    ByteTracker.Step step =
        tracker.step(
            state, detected.sequence(), detected.captureTime().toEpochMilli(), observations);
    store.put(detected.camera(), snapshots.serialize(storeName, TrackerSnapshots.of(step.state())));
    context.forward(record.withValue((FrameOutcome) detected.tracked(step.trackIds())));
    List<ObjectEvent> events = new ArrayList<>();
    ModelRef model =
        new ModelRef(
            detected.segmentation().model().name(), detected.segmentation().model().version());
    for (Track t : step.started()) {
      events.add(event(ObjectEventType.NEW, t, detected, model));
    }
    for (Track t : step.changed()) {
      events.add(event(ObjectEventType.UPDATE, t, detected, model));
    }
    for (Track t : step.ended()) {
      events.add(event(ObjectEventType.END, t, detected, model));
    }
    if (!events.isEmpty()) {
      context.forward(record.withValue((FrameOutcome) new FrameOutcome.ObjectEvents(events)));
    }
  }

  /**
   * The event of one track in the frame {@code at}. A track stands still when its filter's speed is
   * under {@value #STATIONARY_SHARE} of its height per frame.
   */
  static ObjectEvent event(
      ObjectEventType type, Track t, FrameOutcome.Detected at, ModelRef model) {
    double[] box = t.box();
    double[] mean = t.estimate().mean();
    boolean stationary = Math.hypot(mean[4], mean[5]) < STATIONARY_SHARE * Math.max(mean[3], 1);
    return ObjectEvent.newBuilder()
        .setType(type)
        .setCamera(at.camera())
        .setTrackId(t.id())
        .setLabel(t.label())
        .setScore(t.score())
        .setTopScore(t.topScore())
        .setBox(new ObjectBox((float) box[0], (float) box[1], (float) box[2], (float) box[3]))
        .setFirstSequence(t.firstSequence())
        .setLastSequence(t.lastSequence())
        .setFirstTime(Instant.ofEpochMilli(t.firstTime()))
        .setLastTime(Instant.ofEpochMilli(t.lastTime()))
        .setFrameSequence(at.sequence())
        .setFrameTime(at.captureTime())
        .setStationary(stationary)
        .setModel(model)
        .build();
  }

  /** Share of its height an object may move per frame and still count as standing still. */
  static final double STATIONARY_SHARE = 0.02;

  /**
   * The camera's state, or a fresh one (with one log line) when there is none or it is unreadable.
   */
  private TrackerState load(String camera) {
    byte[] bytes = store.get(camera);
    if (bytes == null) {
      return TrackerState.EMPTY;
    }
    try {
      return TrackerSnapshots.state(snapshots.deserialize(storeName, bytes));
    } catch (RuntimeException e) {
      log.error(
          "camera {}: unreadable tracker state ({}); its tracks start over", camera, e.toString());
      return TrackerState.EMPTY;
    }
  }
}
