package io.maskstream.detector.stream;

import io.maskstream.detector.track.ByteTracker;
import io.maskstream.detector.track.Observation;
import io.maskstream.detector.track.Track;
import io.maskstream.detector.track.TrackerSnapshots;
import io.maskstream.detector.track.TrackerState;
import io.maskstream.detector.zone.ZoneCounter;
import io.maskstream.detector.zone.ZoneDefinitions;
import io.maskstream.detector.zone.ZoneLayout;
import io.maskstream.detector.zone.ZoneTallies;
import io.maskstream.detector.zone.ZoneTally;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.avro.ModelRef;
import io.maskstream.schemas.avro.ObjectBox;
import io.maskstream.schemas.avro.ObjectEvent;
import io.maskstream.schemas.avro.ObjectEventType;
import io.maskstream.schemas.avro.TrackerSnapshot;
import io.maskstream.schemas.avro.ZoneEvent;
import io.maskstream.schemas.avro.ZoneSet;
import io.maskstream.schemas.avro.ZoneState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * crash or a rebalance continues with the same tracks and ids. The tracks are then measured against
 * the camera's zones and lines ({@link ZoneCounter}), read from the global store of the zones topic
 * (so a {@code zones set} applies from the next frame, on every instance), with the standings and
 * counts in a second changelogged store written in the same transaction. Dead letters pass through.
 * One per stream task.
 */
final class TrackerNode implements Processor<byte[], FrameOutcome, byte[], FrameOutcome> {
  private static final Logger log = LoggerFactory.getLogger(TrackerNode.class);

  private final ByteTracker tracker;
  private final DetectorMetrics metrics;
  private final ZoneCounter zoneCounter = new ZoneCounter();
  private final String storeName;
  private final String zoneStateName;
  private final String zonesName;
  private final String zonesTopic;
  // the stores' values are this product's own: single-object encoding, whatever registry is set
  private final AvroSerde<TrackerSnapshot> snapshots = new AvroSerde<>(TrackerSnapshot.class);
  private final AvroSerde<ZoneState> zoneStates = new AvroSerde<>(ZoneState.class);
  // the zones topic's values are written by users' clients: the configured encoding
  private final AvroSerde<ZoneSet> zoneSets;
  private final Map<String, CameraZones> zonesByCamera = new HashMap<>();
  private final DecodedStates<TrackerState> trackerStates = new DecodedStates<>();
  private final DecodedStates<ZoneTally> zoneTallies = new DecodedStates<>();
  private KeyValueStore<String, byte[]> store;
  private KeyValueStore<String, byte[]> zoneStore;
  private KeyValueStore<String, byte[]> zones;
  private ProcessorContext<byte[], FrameOutcome> context;

  TrackerNode(
      ByteTracker tracker,
      DetectorMetrics metrics,
      String storeName,
      String zoneStateName,
      String zonesName,
      String zonesTopic,
      Map<String, Object> serdeConfig) {
    this.tracker = tracker;
    this.metrics = metrics;
    this.storeName = storeName;
    this.zoneStateName = zoneStateName;
    this.zonesName = zonesName;
    this.zonesTopic = zonesTopic;
    this.zoneSets = new AvroSerde<>(ZoneSet.class, serdeConfig, false);
  }

  @Override
  public void init(ProcessorContext<byte[], FrameOutcome> context) {
    this.context = context;
    this.store = context.getStateStore(storeName);
    this.zoneStore = context.getStateStore(zoneStateName);
    this.zones = context.getStateStore(zonesName);
  }

  @Override
  public void process(Record<byte[], FrameOutcome> record) {
    if (!(record.value() instanceof FrameOutcome.Detected detected)) {
      context.forward(record);
      return;
    }
    long started = System.nanoTime();
    String camera = detected.camera();
    long time = detected.captureTime().toEpochMilli();
    TrackerState state = load(camera);
    List<Observation> observations = Observation.of(detected.segmentation());
    ByteTracker.Step step = tracker.step(state, detected.sequence(), time, observations);
    TrackerSnapshot snapshot = TrackerSnapshots.of(step.state());
    byte[] stateBytes = snapshots.serialize(storeName, snapshot);
    store.put(camera, stateBytes);
    // the state as the store holds it (the covariance in floats), for the next frame
    trackerStates.put(camera, stateBytes, TrackerSnapshots.state(snapshot));

    ZoneLayout layout =
        layout(camera, detected.segmentation().width(), detected.segmentation().height());
    ZoneTally tally = loadTally(camera);
    Map<Long, ZoneCounter.Membership> memberships = Map.of();
    List<ZoneEvent> zoneEvents = List.of();
    if (!layout.isEmpty() || !tally.equals(ZoneTally.EMPTY)) {
      ZoneCounter.Step zoneStep =
          zoneCounter.step(tally, layout, camera, detected.sequence(), time, step);
      if (zoneStep.tally().equals(ZoneTally.EMPTY)) {
        zoneStore.delete(camera);
        zoneTallies.put(camera, null, null);
      } else {
        byte[] tallyBytes = zoneStates.serialize(zoneStateName, ZoneTallies.of(zoneStep.tally()));
        zoneStore.put(camera, tallyBytes);
        zoneTallies.put(camera, tallyBytes, zoneStep.tally());
      }
      memberships = zoneStep.memberships();
      zoneEvents = zoneStep.events();
    }

    List<ObjectEvent> events = new ArrayList<>();
    ModelRef model =
        new ModelRef(
            detected.segmentation().model().name(), detected.segmentation().model().version());
    for (Track t : step.started()) {
      events.add(event(ObjectEventType.NEW, t, detected, model, memberships));
    }
    for (Track t : step.changed()) {
      events.add(event(ObjectEventType.UPDATE, t, detected, model, memberships));
    }
    for (Track t : step.ended()) {
      events.add(event(ObjectEventType.END, t, detected, model, memberships));
    }
    Map<String, Integer> objectTypes = new HashMap<>();
    events.forEach(e -> objectTypes.merge(e.getType().name(), 1, Integer::sum));
    Map<String, Integer> zoneTypes = new HashMap<>();
    zoneEvents.forEach(e -> zoneTypes.merge(e.getType().name(), 1, Integer::sum));
    int confirmed = 0;
    for (Track t : step.state().tracks()) {
      confirmed += t.id() > 0 ? 1 : 0;
    }
    metrics.tracked(camera, System.nanoTime() - started, confirmed, objectTypes, zoneTypes);
    context.forward(record.withValue((FrameOutcome) detected.tracked(step.trackIds())));
    if (!events.isEmpty() || !zoneEvents.isEmpty()) {
      context.forward(
          record.withValue((FrameOutcome) new FrameOutcome.TrackEvents(events, zoneEvents)));
    }
  }

  /**
   * The event of one track in the frame {@code at}. A track stands still when its filter's speed is
   * under {@value #STATIONARY_SHARE} of its height per frame.
   */
  static ObjectEvent event(
      ObjectEventType type,
      Track t,
      FrameOutcome.Detected at,
      ModelRef model,
      Map<Long, ZoneCounter.Membership> memberships) {
    double[] box = t.box();
    double[] mean = t.estimate().mean();
    boolean stationary = Math.hypot(mean[4], mean[5]) < STATIONARY_SHARE * Math.max(mean[3], 1);
    ZoneCounter.Membership zones = memberships.getOrDefault(t.id(), ZoneCounter.Membership.NONE);
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
        .setZones(zones.inside())
        .setEnteredZones(zones.entered())
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
    TrackerState known = trackerStates.get(camera, bytes);
    if (known != null) {
      return known;
    }
    try {
      return TrackerSnapshots.state(snapshots.deserialize(storeName, bytes));
    } catch (RuntimeException e) {
      log.error(
          "camera {}: unreadable tracker state ({}); its tracks start over", camera, e.toString());
      return TrackerState.EMPTY;
    }
  }

  /** The camera's zone standings and counts, or none (with one log line) when unreadable. */
  private ZoneTally loadTally(String camera) {
    byte[] bytes = zoneStore.get(camera);
    if (bytes == null) {
      return ZoneTally.EMPTY;
    }
    ZoneTally known = zoneTallies.get(camera, bytes);
    if (known != null) {
      return known;
    }
    try {
      return ZoneTallies.tally(zoneStates.deserialize(zoneStateName, bytes));
    } catch (RuntimeException e) {
      log.error(
          "camera {}: unreadable zone state ({}); its zone counts start over",
          camera,
          e.toString());
      return ZoneTally.EMPTY;
    }
  }

  /**
   * The camera's zones and lines at the frame's size. The stored definition is decoded and checked
   * once per change; one that cannot be used is logged once and counts as none.
   */
  private ZoneLayout layout(String camera, int width, int height) {
    byte[] bytes = zones.get(camera);
    CameraZones known = zonesByCamera.get(camera);
    if (known == null || !Arrays.equals(known.bytes, bytes)) {
      known = new CameraZones(bytes, definitions(camera, bytes));
      zonesByCamera.put(camera, known);
    }
    if (known.set == null) {
      return ZoneLayout.NONE;
    }
    if (known.layout == null || known.width != width || known.height != height) {
      known.layout = ZoneLayout.of(known.set, width, height);
      known.width = width;
      known.height = height;
    }
    return known.layout;
  }

  private ZoneSet definitions(String camera, byte[] bytes) {
    if (bytes == null) {
      return null;
    }
    try {
      ZoneSet set = zoneSets.deserialize(zonesTopic, bytes);
      ZoneDefinitions.validate(set);
      if (!camera.equals(set.getCamera())) {
        throw new IllegalArgumentException(
            "the definitions name camera " + set.getCamera() + " under the key " + camera);
      }
      return set;
    } catch (RuntimeException e) {
      log.error(
          "camera {}: zones and lines on the zones topic cannot be used ({}); the camera counts"
              + " none until they are stored again with maskstream zones set",
          camera,
          e.getMessage());
      return null;
    }
  }

  /** A camera's zone definitions as last read, with their layout at the last frame size. */
  private static final class CameraZones {
    final byte[] bytes;
    final ZoneSet set;
    ZoneLayout layout;
    int width;
    int height;

    CameraZones(byte[] bytes, ZoneSet set) {
      this.bytes = bytes;
      this.set = set;
    }
  }
}
