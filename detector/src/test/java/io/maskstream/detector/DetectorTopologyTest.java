package io.maskstream.detector;

import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.detector.image.DecodedImage;
import io.maskstream.detector.stream.DetectorMetrics;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.avro.DeadLetter;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.Frame;
import io.maskstream.schemas.avro.LineDefinition;
import io.maskstream.schemas.avro.Masks;
import io.maskstream.schemas.avro.ObjectEvent;
import io.maskstream.schemas.avro.Point;
import io.maskstream.schemas.avro.ZoneDefinition;
import io.maskstream.schemas.avro.ZoneEvent;
import io.maskstream.schemas.avro.ZoneSet;
import io.maskstream.schemas.rle.CocoRle;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DetectorTopologyTest {
  private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");
  private static final ModelIdentity MODEL = new ModelIdentity("fake", "0123456789ab");

  private final AvroSerde<Frame> frames = new AvroSerde<>(Frame.class);
  private final AvroSerde<Detections> detections = new AvroSerde<>(Detections.class);
  private final AvroSerde<Masks> masks = new AvroSerde<>(Masks.class);
  private final AvroSerde<DeadLetter> deadLetters = new AvroSerde<>(DeadLetter.class);
  private DetectorMetrics metrics;

  @BeforeEach
  void metrics() {
    metrics = new DetectorMetrics(new SimpleMeterRegistry());
  }

  @Test
  void everyFrameGivesDetectionsAndMasksWithTheSameKeyFrameRefModelAndTimings() {
    try (Driver d = new Driver(config(DetectorConfig.Mode.COMPLETE), new FakeSegmenter())) {
      for (int i = 0; i < 3; i++) {
        d.frames.pipeInput("gate", frames.serialize("t", frame("gate", i, NOW, "IMG" + i)));
      }
      List<TestRecord<byte[], byte[]>> dets = d.detections.readRecordsToList();
      List<TestRecord<byte[], byte[]>> msks = d.masks.readRecordsToList();
      assertThat(dets).hasSize(3);
      assertThat(msks).hasSize(3);
      assertThat(d.dlq.isEmpty()).isTrue();
      for (int i = 0; i < 3; i++) {
        assertThat(new String(dets.get(i).key(), StandardCharsets.UTF_8)).isEqualTo("gate");
        assertThat(msks.get(i).key()).isEqualTo(dets.get(i).key());
        Detections det = detections.deserialize("t", dets.get(i).value());
        assertThat(det.getFrame().getCamera()).isEqualTo("gate");
        assertThat(det.getFrame().getSequence()).isEqualTo(i);
        assertThat(det.getFrame().getCaptureTime()).isEqualTo(NOW);
        assertThat(det.getFrame().getWidth()).isEqualTo(8);
        assertThat(det.getModel().getName()).isEqualTo("fake");
        assertThat(det.getModel().getVersion()).isEqualTo("0123456789ab");
        assertThat(det.getTimings().getInferenceMs()).isEqualTo(7f);
        assertThat(det.getTimings().getProcessedTime()).isEqualTo(NOW.plusMillis(250));
        assertThat(det.getDetections()).hasSize(1);
        assertThat(det.getDetections().get(0).getLabel()).isEqualTo("ellipse");
        assertThat(det.getDetections().get(0).getBox().getX2()).isEqualTo(5f);
        Masks m = masks.deserialize("t", msks.get(i).value());
        assertThat(m.getFrame()).isEqualTo(det.getFrame());
        assertThat(m.getModel()).isEqualTo(det.getModel());
        assertThat(m.getMasks()).hasSize(1);
        assertThat(m.getMasks().get(0).getDetectionIndex()).isZero();
        assertThat(m.getMasks().get(0).getRle().getCounts())
            .isEqualTo(FakeSegmenter.MASK.toCompressedString());
      }
      assertThat(metrics.processedCount("gate")).isEqualTo(3);
    }
  }

  @Test
  void badRecordsGoToTheDeadLetterTopicWithTheReasonAndProcessingContinues() {
    try (Driver d = new Driver(config(DetectorConfig.Mode.COMPLETE), new FakeSegmenter())) {
      d.frames.pipeInput("gate", "not avro".getBytes(StandardCharsets.UTF_8));
      d.frames.pipeInput("gate", (byte[]) null);
      d.frames.pipeInput("gate", frames.serialize("t", frame("gate", 1, NOW, "BAD jpeg")));
      d.frames.pipeInput("gate", frames.serialize("t", frame("gate", 2, NOW, "")));
      d.frames.pipeInput("gate", frames.serialize("t", frame("gate", 3, NOW, "FAIL")));
      d.frames.pipeInput("gate", frames.serialize("t", frame("gate", 4, NOW, "IMG")));
      List<DeadLetter> letters =
          d.dlq.readRecordsToList().stream()
              .map(r -> deadLetters.deserialize("t", r.value()))
              .toList();
      assertThat(letters).hasSize(5);
      assertThat(letters).allMatch(l -> l.getStage().equals("detect"));
      assertThat(letters).allMatch(l -> l.getSourceTopic().equals("maskstream.frames"));
      assertThat(letters.get(0).getReason()).startsWith("undecodable frame record");
      assertThat(letters.get(0).getValue())
          .isEqualTo(ByteBuffer.wrap("not avro".getBytes(StandardCharsets.UTF_8)));
      assertThat(letters.get(0).getSourceOffset()).isZero();
      assertThat(letters.get(1).getReason()).startsWith("empty record");
      assertThat(letters.get(2).getReason()).contains("gate/1").contains("does not decode");
      assertThat(letters.get(2).getErrorType()).isEqualTo(SegmentationException.class.getName());
      assertThat(letters.get(3).getReason()).contains("has no image");
      assertThat(letters.get(4).getReason()).contains("model failed");
      assertThat(d.detections.readRecordsToList()).hasSize(1);
      assertThat(metrics.failedCount("gate")).isEqualTo(5);
    }
  }

  @Test
  void anyFailureOfOneFrameIsItsDeadLetterWithTheErrorTypeAndTheNextFrameGoesOn() {
    try (Driver d = new Driver(config(DetectorConfig.Mode.COMPLETE), new FakeSegmenter())) {
      d.frames.pipeInput("gate", frames.serialize("t", frame("gate", 1, NOW, "BUG")));
      d.frames.pipeInput("gate", frames.serialize("t", frame("gate", 2, NOW, "OOM")));
      d.frames.pipeInput("gate", frames.serialize("t", frame("gate", 3, NOW, "IMG")));
      List<DeadLetter> letters =
          d.dlq.readRecordsToList().stream()
              .map(r -> deadLetters.deserialize("t", r.value()))
              .toList();
      assertThat(letters).hasSize(2);
      assertThat(letters.get(0).getErrorType())
          .isEqualTo(IndexOutOfBoundsException.class.getName());
      assertThat(letters.get(0).getReason())
          .isEqualTo("frame gate/1: IndexOutOfBoundsException: Index 7 out of bounds for length 7");
      assertThat(letters.get(1).getErrorType()).isEqualTo(OutOfMemoryError.class.getName());
      assertThat(letters.get(1).getReason()).contains("gate/2").contains("Java heap space");
      List<TestRecord<byte[], byte[]>> dets = d.detections.readRecordsToList();
      assertThat(dets).hasSize(1);
      assertThat(detections.deserialize("t", dets.get(0).value()).getFrame().getSequence())
          .isEqualTo(3);
    }
  }

  @Test
  void randomlyCorruptedRecordsAreEachAnEventOrADeadLetter() {
    byte[] good = frames.serialize("t", frame("gate", 1, NOW, "IMG"));
    java.util.Random random = new java.util.Random(11);
    int n = 2000;
    try (Driver d = new Driver(config(DetectorConfig.Mode.COMPLETE), new FakeSegmenter())) {
      for (int i = 0; i < n; i++) {
        byte[] bad = java.util.Arrays.copyOf(good, 1 + random.nextInt(good.length + 8));
        for (int k = 0, flips = 1 + random.nextInt(4); k < flips; k++) {
          int at = random.nextInt(bad.length);
          bad[at] = (byte) random.nextInt(256);
        }
        d.frames.pipeInput("gate", bad);
      }
      assertThat(d.detections.getQueueSize() + d.dlq.getQueueSize()).isEqualTo(n);
    }
  }

  @Test
  void cameraIdsThatBreakTheRulesAreDeadLettersAndNeverMetricLabels() {
    String huge = "x".repeat(100_000);
    try (Driver d = new Driver(config(DetectorConfig.Mode.COMPLETE), new FakeSegmenter())) {
      for (String id : List.of("", huge, "<b>gate</b>", "gate 1", "gate\n2")) {
        d.frames.pipeInput("gate", frames.serialize("t", frame(id, 1, NOW, "IMG")));
      }
      d.frames.pipeInput("gate", frames.serialize("t", frame("gate", 2, NOW, "IMG")));
      List<DeadLetter> letters =
          d.dlq.readRecordsToList().stream()
              .map(r -> deadLetters.deserialize("t", r.value()))
              .toList();
      assertThat(letters).hasSize(5);
      assertThat(letters)
          .allSatisfy(
              l ->
                  assertThat(l.getReason())
                      .contains("breaks the id rules")
                      .hasSizeLessThan(300)
                      .doesNotContain("\n"));
      assertThat(letters.get(1).getReason()).contains("(100000 characters)");
      assertThat(d.detections.readRecordsToList()).hasSize(1);
    }
    assertThat(metrics.registry().getMeters())
        .allSatisfy(
            m ->
                assertThat(m.getId().getTag("camera"))
                    .satisfiesAnyOf(
                        c -> assertThat(c).isNull(), c -> assertThat(c).isIn("gate", "unknown")));
    assertThat(metrics.failedCount("unknown")).isEqualTo(5);
  }

  @Test
  void aFrameWhoseDeclaredSizeDisagreesWithItsImageIsADeadLetter() {
    try (Driver d = new Driver(config(DetectorConfig.Mode.COMPLETE), new FakeSegmenter())) {
      Frame wrong = Frame.newBuilder(frame("gate", 1, NOW, "IMG")).setWidth(-640).build();
      d.frames.pipeInput("gate", frames.serialize("t", wrong));
      d.frames.pipeInput("gate", frames.serialize("t", frame("gate", 2, NOW, "IMG")));
      List<TestRecord<byte[], byte[]>> dlq = d.dlq.readRecordsToList();
      assertThat(dlq).hasSize(1);
      assertThat(deadLetters.deserialize("t", dlq.get(0).value()).getReason())
          .isEqualTo(
              "frame gate/1 says it is -640x6 but its image is 8x6: the producer must give the"
                  + " image's size");
      assertThat(d.detections.readRecordsToList()).hasSize(1);
    }
  }

  @Test
  void captureTimesAtTheEndsOfTimeNeitherOverflowNorStopTheStream() {
    try (Driver d = new Driver(config(DetectorConfig.Mode.REALTIME), new FakeSegmenter())) {
      d.frames.pipeInput(
          "gate",
          frames.serialize("t", frame("gate", 1, Instant.ofEpochMilli(Long.MIN_VALUE), "A")));
      d.frames.pipeInput("gate", frames.serialize("t", frame("gate", 2, Instant.EPOCH, "B")));
      d.frames.pipeInput(
          "gate",
          frames.serialize("t", frame("gate", 3, Instant.ofEpochMilli(Long.MAX_VALUE), "C")));
      d.frames.pipeInput("gate", frames.serialize("t", frame("gate", 4, NOW, "D")));
      // realtime mode: the two in the far past are skipped for their age, the far future is not
      assertThat(metrics.skippedCount("gate")).isEqualTo(2);
      assertThat(d.detections.readRecordsToList()).hasSize(2);
      assertThat(d.dlq.isEmpty()).isTrue();
    }
  }

  @Test
  void cameraLabelsAreBoundedWhateverIdsArrive() {
    try (Driver d = new Driver(config(DetectorConfig.Mode.COMPLETE), new FakeSegmenter())) {
      for (int i = 0; i < DetectorMetrics.MAX_CAMERAS + 50; i++) {
        d.frames.pipeInput("c" + i, frames.serialize("t", frame("c" + i, 1, NOW, "IMG")));
      }
    }
    long labels = metrics.registry().find("maskstream.detector.frames.processed").counters().size();
    assertThat(labels).isEqualTo(DetectorMetrics.MAX_CAMERAS + 1);
    assertThat(metrics.processedCount("other")).isEqualTo(50);
  }

  @Test
  void detectionsCarryTheirTrackIdsFromTheSecondFrameOfAnObjectPerCamera() {
    try (Driver d = new Driver(config(DetectorConfig.Mode.COMPLETE), new FakeSegmenter())) {
      for (int i = 0; i < 4; i++) {
        d.frames.pipeInput("gate", frames.serialize("t", frame("gate", i, NOW, "IMG")));
        d.frames.pipeInput("lobby", frames.serialize("t", frame("lobby", i, NOW, "IMG")));
      }
      List<Detections> dets =
          d.detections.readRecordsToList().stream()
              .map(r -> detections.deserialize("t", r.value()))
              .toList();
      assertThat(dets).hasSize(8);
      for (Detections det : dets) {
        Long id = det.getDetections().get(0).getTrackId();
        if (det.getFrame().getSequence() == 0) {
          assertThat(id).as("tentative on its first frame").isNull();
        } else {
          assertThat(id).as("camera %s", det.getFrame().getCamera()).isEqualTo(1L);
        }
      }
      // the cameras' tracks are in the store, one entry per camera
      List<Object> cameras = new java.util.ArrayList<>();
      try (var all = d.driver.getKeyValueStore(DetectorTopology.TRACKS_STORE).all()) {
        all.forEachRemaining(kv -> cameras.add(kv.key));
      }
      assertThat(cameras).containsExactlyInAnyOrder("gate", "lobby");
    }
  }

  @Test
  void anObjectRaisesOneNewWhenConfirmedAndOneEndWhenLostTooLong() {
    AvroSerde<io.maskstream.schemas.avro.ObjectEvent> objects =
        new AvroSerde<>(io.maskstream.schemas.avro.ObjectEvent.class);
    try (Driver d = new Driver(config(DetectorConfig.Mode.COMPLETE), new FakeSegmenter())) {
      for (int i = 0; i < 5; i++) {
        d.frames.pipeInput("gate", frames.serialize("t", frame("gate", i, NOW, "IMG")));
      }
      // the object is gone: empty frames until the lost-track buffer (30 frames) has passed
      for (int i = 5; i < 40; i++) {
        d.frames.pipeInput("gate", frames.serialize("t", frame("gate", i, NOW, "NONE")));
      }
      List<io.maskstream.schemas.avro.ObjectEvent> events =
          d.objects.readRecordsToList().stream()
              .map(r -> objects.deserialize("t", r.value()))
              .toList();
      assertThat(events).extracting(e -> e.getType().name()).containsExactly("NEW", "END");
      assertThat(events).allSatisfy(e -> assertThat(e.getTrackId()).isEqualTo(1L));
      assertThat(events.get(0).getFrameSequence()).isEqualTo(1);
      assertThat(events.get(0).getFirstSequence()).isZero();
      assertThat(events.get(0).getLabel()).isEqualTo("ellipse");
      assertThat(events.get(0).getStationary()).isTrue();
      assertThat(events.get(1).getLastSequence()).isEqualTo(4);
      assertThat(events.get(1).getFrameSequence()).isEqualTo(35);
      assertThat(events.get(1).getModel().getName()).isEqualTo("fake");
    }
  }

  @Test
  void trackedObjectsEnterZonesAndCrossLinesAsTheZonesTopicDefinesThem() {
    AvroSerde<ObjectEvent> objects = new AvroSerde<>(ObjectEvent.class);
    AvroSerde<ZoneEvent> zoneEvents = new AvroSerde<>(ZoneEvent.class);
    AvroSerde<ZoneSet> zoneSets = new AvroSerde<>(ZoneSet.class);
    // the right part of the 8x6 frame, and a line up the middle: moving right crosses it "in"
    ZoneSet set =
        ZoneSet.newBuilder()
            .setCamera("gate")
            .setUpdatedAt(NOW)
            .setZones(
                List.of(
                    ZoneDefinition.newBuilder()
                        .setName("dock")
                        .setPolygon(
                            List.of(
                                new Point(5.0, 0.0),
                                new Point(8.0, 0.0),
                                new Point(8.0, 6.0),
                                new Point(5.0, 6.0)))
                        .setMinFrames(1)
                        .build()))
            .setLines(
                List.of(
                    LineDefinition.newBuilder()
                        .setName("middle")
                        .setStart(new Point(4.0, 6.0))
                        .setEnd(new Point(4.0, 0.0))
                        .build()))
            .build();
    try (Driver d = new Driver(config(DetectorConfig.Mode.COMPLETE), new FakeSegmenter())) {
      d.zones.pipeInput("gate", zoneSets.serialize("t", set));
      // the object's bottom centre moves from x 2 to x 6, half a column a frame (the tracker's
      // filtered box, which zones measure, follows a little behind)
      for (int i = 0; i <= 8; i++) {
        d.frames.pipeInput("gate", frames.serialize("t", frame("gate", i, NOW, "AT " + i)));
      }
      for (int i = 9; i < 42; i++) {
        d.frames.pipeInput("gate", frames.serialize("t", frame("gate", i, NOW, "NONE")));
      }
      List<ZoneEvent> events =
          d.zoneEvents.readRecordsToList().stream()
              .map(r -> zoneEvents.deserialize("t", r.value()))
              .toList();
      assertThat(events)
          .extracting(e -> e.getType() + " " + e.getZone() + " " + e.getFrameSequence())
          .containsExactly("ENTER dock 7", "CROSS middle 7", "EXIT dock 39");
      assertThat(events.get(1).getDirection()).isEqualTo("in");
      assertThat(metrics.eventCount("maskstream.detector.zone.events", "gate", "CROSS"))
          .isEqualTo(1);
      assertThat(metrics.eventCount("maskstream.detector.zone.events", "gate", "ENTER"))
          .isEqualTo(1);
      assertThat(metrics.eventCount("maskstream.detector.objects", "gate", "NEW")).isEqualTo(1);
      assertThat(events.get(2).getEnded()).isTrue();
      List<ObjectEvent> lifecycle =
          d.objects.readRecordsToList().stream()
              .map(r -> objects.deserialize("t", r.value()))
              .toList();
      assertThat(lifecycle).extracting(e -> e.getType().name()).containsExactly("NEW", "END");
      assertThat(lifecycle.get(1).getEnteredZones()).containsExactly("dock");
      // the line's count stays in the store; a tombstone on the zones topic clears it
      assertThat(d.driver.getKeyValueStore(DetectorTopology.ZONE_STATE_STORE).get("gate"))
          .isNotNull();
      d.zones.pipeInput("gate", (byte[]) null);
      d.frames.pipeInput("gate", frames.serialize("t", frame("gate", 42, NOW, "NONE")));
      assertThat(d.driver.getKeyValueStore(DetectorTopology.ZONE_STATE_STORE).get("gate")).isNull();
      // definitions that do not decode are logged and count as none; frames go on
      d.zones.pipeInput("gate", new byte[] {1, 2, 3});
      d.frames.pipeInput("gate", frames.serialize("t", frame("gate", 43, NOW, "AT 3")));
      assertThat(d.detections.readRecordsToList()).hasSize(44);
      assertThat(d.dlq.isEmpty()).isTrue();
    }
  }

  @Test
  void withoutTrackingDetectionsCarryNoTrackIds() {
    DetectorConfig config = config(DetectorConfig.Mode.COMPLETE).toBuilder().tracker(null).build();
    try (Driver d = new Driver(config, new FakeSegmenter())) {
      for (int i = 0; i < 3; i++) {
        d.frames.pipeInput("gate", frames.serialize("t", frame("gate", i, NOW, "IMG")));
      }
      assertThat(d.detections.readRecordsToList())
          .extracting(
              r -> detections.deserialize("t", r.value()).getDetections().get(0).getTrackId())
          .containsOnlyNulls();
    }
  }

  @Test
  void framesAreDecodedInPlaceWhenTheDecodeAheadThreadsRefuseWork() {
    ExecutorService stopped = Executors.newSingleThreadExecutor();
    stopped.shutdown();
    FakeSegmenter segmenter = new FakeSegmenter();
    try (Driver d = new Driver(config(DetectorConfig.Mode.COMPLETE), segmenter, stopped)) {
      d.frames.pipeInput("gate", frames.serialize("t", frame("gate", 1, NOW, "IMG")));
      d.frames.pipeInput("gate", frames.serialize("t", frame("gate", 2, NOW, "BAD")));
      assertThat(d.detections.readRecordsToList()).hasSize(1);
      assertThat(d.dlq.readRecordsToList()).hasSize(1);
      assertThat(segmenter.decodes.get()).isEqualTo(2);
    }
  }

  @Test
  void realtimeModeSkipsFramesOlderThanTheMaximumAgeAndCountsThemPerCamera() {
    FakeSegmenter segmenter = new FakeSegmenter();
    try (Driver d = new Driver(config(DetectorConfig.Mode.REALTIME), segmenter)) {
      d.frames.pipeInput("gate", frames.serialize("t", frame("gate", 1, NOW.minusSeconds(5), "A")));
      d.frames.pipeInput(
          "gate", frames.serialize("t", frame("gate", 2, NOW.minusMillis(500), "B")));
      d.frames.pipeInput(
          "lobby", frames.serialize("t", frame("lobby", 1, NOW.minusSeconds(3), "C")));
      assertThat(d.detections.readRecordsToList()).hasSize(1);
      assertThat(segmenter.calls.get()).isEqualTo(1);
      assertThat(segmenter.decodes.get()).isEqualTo(1); // frames already too old are not decoded
      assertThat(metrics.skippedCount("gate")).isEqualTo(1);
      assertThat(metrics.skippedCount("lobby")).isEqualTo(1);
    }
  }

  @Test
  void completeModeProcessesOldFrames() {
    try (Driver d = new Driver(config(DetectorConfig.Mode.COMPLETE), new FakeSegmenter())) {
      d.frames.pipeInput(
          "gate", frames.serialize("t", frame("gate", 1, NOW.minusSeconds(3600), "A")));
      assertThat(d.detections.readRecordsToList()).hasSize(1);
      assertThat(metrics.skippedCount("gate")).isZero();
    }
  }

  @Test
  void streamsPropertiesAreExactlyOnceWithAPollIntervalSizedFromTheWorstInference() {
    Properties small = DetectorTopology.streamsProperties(config(DetectorConfig.Mode.COMPLETE), 50);
    assertThat(small.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG))
        .isEqualTo(StreamsConfig.EXACTLY_ONCE_V2);
    assertThat(small.get(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG)))
        .isEqualTo(300_000);
    Properties slow =
        DetectorTopology.streamsProperties(config(DetectorConfig.Mode.COMPLETE), 20_000);
    assertThat(
            (Integer)
                slow.get(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG)))
        .isGreaterThanOrEqualTo(20_000 * 8);
    assertThat(small.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG))
        .isEqualTo(DetectorTopology.IDLE_COMMIT_INTERVAL_MS);
    Properties user = new Properties();
    user.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
    user.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "250");
    DetectorConfig custom = config(DetectorConfig.Mode.COMPLETE).toBuilder().kafka(user).build();
    Properties overridden = DetectorTopology.streamsProperties(custom, 10);
    assertThat(overridden.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG))
        .isEqualTo(StreamsConfig.AT_LEAST_ONCE);
    assertThat(overridden.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)).isEqualTo("250");
    // a short transaction timeout of the user's shortens the idle commit interval with it
    Properties shortTimeout = new Properties();
    shortTimeout.put(
        StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG), "15000");
    Properties idle =
        DetectorTopology.streamsProperties(
            config(DetectorConfig.Mode.COMPLETE).toBuilder().kafka(shortTimeout).build(), 10);
    assertThat(idle.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)).isEqualTo(7500L);
    new StreamsConfig(withBootstrap(idle)); // Kafka Streams accepts the pair
  }

  private static Properties withBootstrap(Properties props) {
    Properties p = new Properties();
    p.putAll(props);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    return p;
  }

  private static DetectorConfig config(DetectorConfig.Mode mode) {
    return DetectorConfig.builder()
        .model(Path.of("unused.onnx"))
        .mode(mode)
        .maxFrameAge(Duration.ofSeconds(2))
        .topics(TopicNames.DEFAULTS)
        .build();
  }

  private static Frame frame(String camera, long sequence, Instant captured, String image) {
    return Frame.newBuilder()
        .setCamera(camera)
        .setSequence(sequence)
        .setCaptureTime(captured)
        .setWidth(8)
        .setHeight(6)
        .setImage(ByteBuffer.wrap(image.getBytes(StandardCharsets.UTF_8)))
        .build();
  }

  /**
   * A segmenter that decodes nothing: "BAD..." does not decode, "FAIL" fails the model; counts its
   * decodes and model runs.
   */
  static final class FakeSegmenter implements Segmenter {
    static final CocoRle MASK = CocoRle.fromCounts(6, 8, new int[] {10, 5, 33});
    final AtomicInteger calls = new AtomicInteger();
    final AtomicInteger decodes = new AtomicInteger();

    @Override
    public DecodedImage decode(byte[] encodedImage) throws SegmentationException {
      decodes.incrementAndGet();
      String text = new String(encodedImage, StandardCharsets.UTF_8);
      if (text.startsWith("BAD")) {
        throw new SegmentationException(
            SegmentationException.Kind.UNDECODABLE, "image does not decode");
      }
      // one pixel standing in for the 8x6 frame, whose blue value says how the model is to fail
      if (text.startsWith("AT ")) {
        // an object whose box starts at column x / 2: the pixel's green value says where
        return new DecodedImage(1, 1, new byte[] {5, Byte.parseByte(text.substring(3)), 0}, 8, 6);
      }
      byte how =
          (byte)
              (text.equals("FAIL")
                  ? 1
                  : text.equals("BUG") ? 2 : text.equals("OOM") ? 3 : text.equals("NONE") ? 4 : 0);
      return new DecodedImage(1, 1, new byte[] {how, 0, 0}, 8, 6);
    }

    @Override
    public Segmentation segment(DecodedImage image, float decodeMs) throws SegmentationException {
      calls.incrementAndGet();
      switch (image.bgr()[0]) {
        case 1 ->
            throw new SegmentationException(SegmentationException.Kind.INFERENCE, "model failed");
        case 2 -> throw new IndexOutOfBoundsException("Index 7 out of bounds for length 7");
        case 3 -> throw new OutOfMemoryError("Java heap space");
        case 4 -> {
          return new Segmentation(8, 6, List.of(), MODEL, new StageTimes(decodeMs, 2f, 7f, 3f));
        }
        case 5 -> {
          float x = image.bgr()[1] / 2f;
          return new Segmentation(
              8,
              6,
              List.of(new Instance(2, "ellipse", 0.9f, x, 2f, x + 4, 4f, MASK)),
              MODEL,
              new StageTimes(decodeMs, 2f, 7f, 3f));
        }
        default -> {}
      }
      return new Segmentation(
          8,
          6,
          List.of(new Instance(2, "ellipse", 0.9f, 1f, 2f, 5f, 4f, MASK)),
          MODEL,
          new StageTimes(decodeMs, 2f, 7f, 3f));
    }

    @Override
    public ModelIdentity model() {
      return MODEL;
    }

    @Override
    public long worstCaseMillis() {
      return 7;
    }

    @Override
    public void close() {}
  }

  private final class Driver implements AutoCloseable {
    final TopologyTestDriver driver;
    final TestInputTopic<String, byte[]> frames;
    final TestOutputTopic<byte[], byte[]> detections;
    final TestOutputTopic<byte[], byte[]> masks;
    final TestOutputTopic<byte[], byte[]> dlq;
    final TestOutputTopic<byte[], byte[]> objects;
    final TestOutputTopic<byte[], byte[]> zoneEvents;
    final TestInputTopic<String, byte[]> zones;
    final ExecutorService decodeAhead;

    Driver(DetectorConfig config, Segmenter segmenter) {
      this(config, segmenter, Executors.newSingleThreadExecutor());
    }

    Driver(DetectorConfig config, Segmenter segmenter, ExecutorService decodeAhead) {
      this.decodeAhead = decodeAhead;
      Clock clock = Clock.fixed(NOW.plusMillis(250), ZoneOffset.UTC);
      Properties props = DetectorTopology.streamsProperties(config, segmenter.worstCaseMillis());
      props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
      // its own state folder: a detector run on this machine leaves the default one behind
      try {
        props.put(
            StreamsConfig.STATE_DIR_CONFIG,
            java.nio.file.Files.createTempDirectory("detector-topology").toString());
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      driver =
          new TopologyTestDriver(
              DetectorTopology.build(config, segmenter, metrics, decodeAhead, clock), props, NOW);
      this.frames =
          driver.createInputTopic(
              config.topics().frames(), new StringSerializer(), new ByteArraySerializer());
      ByteArrayDeserializer bytes = new ByteArrayDeserializer();
      detections = driver.createOutputTopic(config.topics().detections(), bytes, bytes);
      masks = driver.createOutputTopic(config.topics().masks(), bytes, bytes);
      dlq = driver.createOutputTopic(config.topics().deadLetters(), bytes, bytes);
      objects = driver.createOutputTopic(config.topics().objects(), bytes, bytes);
      zoneEvents = driver.createOutputTopic(config.topics().zoneEvents(), bytes, bytes);
      zones =
          driver.createInputTopic(
              config.topics().zones(), new StringSerializer(), new ByteArraySerializer());
    }

    @Override
    public void close() {
      driver.close();
      decodeAhead.shutdownNow();
    }
  }
}
