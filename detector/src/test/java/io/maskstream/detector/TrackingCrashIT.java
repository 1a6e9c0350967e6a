package io.maskstream.detector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.detector.DetectorItKit.EventsPerFrame;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.LineDefinition;
import io.maskstream.schemas.avro.ObjectEvent;
import io.maskstream.schemas.avro.Point;
import io.maskstream.schemas.avro.ZoneDefinition;
import io.maskstream.schemas.avro.ZoneEvent;
import io.maskstream.schemas.avro.ZoneSet;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same clip through two detectors: one runs uninterrupted, the other is SIGKILLed twice
 * mid-clip and started again. For read_committed consumers the two give the same object lifecycle
 * events and the same zone events, with the same track ids and counts; the object that stands still
 * across the kills raises one NEW in all.
 *
 * <p>The clip is the fixture image with a copy of its right rectangle walking down the left half,
 * across a line and into a zone and back, while the right rectangle stands still inside a zone of
 * its own.
 */
class TrackingCrashIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  private static final int FRAMES = 40;
  private static final int STEP = 5;

  @Test
  void killedTwiceTheDetectorRaisesTheSameObjectAndZoneEventsAsUninterrupted(@TempDir Path dir)
      throws Exception {
    String bootstrap = kafka.bootstrapServers();
    TopicNames whole = DetectorItKit.createTopics(bootstrap, "zc-whole", 1);
    TopicNames created = DetectorItKit.createTopics(bootstrap, "zc-killed", 1);
    // the second detector reads the same frames and zones, writes its own events
    TopicNames killed =
        new TopicNames(
            whole.frames(),
            created.detections(),
            created.masks(),
            created.models(),
            created.deadLetters(),
            created.objects(),
            whole.zones(),
            created.zoneEvents(),
            created.cameras(),
            created.cameraStatus());
    storeZones(bootstrap, whole.zones());
    List<String> keys = new ArrayList<>();
    List<byte[]> values = new ArrayList<>();
    Instant start = Instant.parse("2026-06-01T08:00:00Z");
    for (int i = 0; i < FRAMES; i++) {
      keys.add("gate");
      values.add(
          TestFrames.bytes(
              TestFrames.frame("gate", i, start.plusMillis(200L * i), movingFrame(i))));
    }
    TestFrames.send(bootstrap, whole.frames(), keys, values);

    Path wholeConfig =
        DetectorItKit.processConfig(
            dir.resolve("whole.properties"), whole, dir.resolve("whole-state"));
    try (EventsPerFrame<Detections> detections =
        new EventsPerFrame<>(
            bootstrap, whole.detections(), Detections.class, Detections::getFrame)) {
      Process p = start("zc-whole", wholeConfig, dir.resolve("whole.log"));
      try {
        awaitFrames(detections, FRAMES, dir.resolve("whole.log"));
      } finally {
        p.destroy();
        p.waitFor();
      }
    }

    // each start of the killed detector has a state folder of its own, as on a replacement
    // machine: what it continues from is what the changelogs hold
    List<Path> killedConfigs = new ArrayList<>();
    for (int run = 0; run < 3; run++) {
      Path config =
          DetectorItKit.processConfig(
              dir.resolve("killed-" + run + ".properties"),
              killed,
              dir.resolve("killed-state-" + run));
      // a commit every 200 ms, not paced by the frames' age: the kills land mid-clip, with a
      // transaction open, not after a backlog was committed in one go
      Files.writeString(config, "commit.interval.ms=200\n", StandardOpenOption.APPEND);
      killedConfigs.add(config);
    }
    try (EventsPerFrame<Detections> detections =
        new EventsPerFrame<>(
            bootstrap, killed.detections(), Detections.class, Detections::getFrame)) {
      int run = 0;
      for (int killAfter : new int[] {12, 24}) {
        Path log = dir.resolve("killed-" + run + ".log");
        Process p = start("zc-killed", killedConfigs.get(run++), log);
        try {
          awaitFrames(detections, killAfter, log);
        } finally {
          p.destroyForcibly(); // SIGKILL: an open transaction, no state flushed
          p.waitFor();
        }
      }
      Path log = dir.resolve("killed-last.log");
      Process p = start("zc-killed", killedConfigs.get(2), log);
      try {
        awaitFrames(detections, FRAMES, log);
      } finally {
        p.destroy();
        p.waitFor();
      }
      assertThat(detections.counts().values()).as("events per frame").containsOnly(1);
    }

    List<String> wholeObjects =
        read(bootstrap, whole.objects(), ObjectEvent.class, TrackingCrashIT::describe);
    List<String> wholeZones =
        read(bootstrap, whole.zoneEvents(), ZoneEvent.class, TrackingCrashIT::describe);
    List<String> killedObjects =
        read(bootstrap, killed.objects(), ObjectEvent.class, TrackingCrashIT::describe);
    List<String> killedZones =
        read(bootstrap, killed.zoneEvents(), ZoneEvent.class, TrackingCrashIT::describe);

    // what the clip holds: the walker crosses the line and enters the bottom zone, the standing
    // rectangle is in its bay; every track has one NEW, and one lives through both kills
    assertThat(wholeZones).anyMatch(e -> e.startsWith("CROSS line in #1 "));
    assertThat(wholeZones).anyMatch(e -> e.startsWith("ENTER bottom #1 "));
    assertThat(wholeZones).anyMatch(e -> e.startsWith("EXIT bottom #1 "));
    assertThat(wholeZones).anyMatch(e -> e.startsWith("CROSS line out #1 "));
    assertThat(wholeZones).anyMatch(e -> e.startsWith("ENTER bay "));
    Map<String, Long> newsPerTrack = new TreeMap<>();
    wholeObjects.stream()
        .filter(e -> e.startsWith("NEW "))
        .forEach(e -> newsPerTrack.merge(e.split(" ")[1], 1L, Long::sum));
    assertThat(newsPerTrack.values()).containsOnly(1L);
    assertThat(wholeObjects).anyMatch(e -> e.startsWith("NEW #1 ") && e.contains(" frame 1 "));
    assertThat(wholeObjects).noneMatch(e -> e.startsWith("END #1 "));
    // and the killed detector said exactly the same
    assertThat(killedObjects).isEqualTo(wholeObjects);
    assertThat(killedZones).isEqualTo(wholeZones);
  }

  private static void awaitFrames(EventsPerFrame<Detections> detections, int frames, Path log) {
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(100))
        .failFast(() -> !Files.exists(log) ? false : Files.size(log) > 50_000_000)
        .until(() -> detections.collect() >= frames);
  }

  private static Process start(String applicationId, Path config, Path log) throws Exception {
    // the fixture model scores its rectangles 0.35: tracks match by similarity alone
    String[] more = {"--mode", "complete", "--no-track-score-fusion"};
    String[] args = java.util.Arrays.copyOf(more, more.length + 2);
    System.arraycopy(DetectorItKit.FIXTURE_TRACKING_ARGS, 0, args, more.length, 2);
    return DetectorItKit.startDetector(kafka.bootstrapServers(), applicationId, config, log, args);
  }

  /** A line across the walker's path, the bottom of the frame below it, and the right bay. */
  private static void storeZones(String bootstrap, String topic) throws Exception {
    // the serde first: it trusts the generated classes (AVRO-4189) before the builders need them
    AvroSerde<ZoneSet> serde = new AvroSerde<>(ZoneSet.class);
    ZoneSet set =
        ZoneSet.newBuilder()
            .setCamera("gate")
            .setUpdatedAt(Instant.EPOCH)
            .setZones(List.of(zone("bottom", 0, 170, 176, 240), zone("bay", 178, 0, 320, 130)))
            .setLines(
                List.of(
                    LineDefinition.newBuilder()
                        .setName("line")
                        .setStart(new Point(0.0, 140.0))
                        .setEnd(new Point(176.0, 140.0))
                        .build()))
            .build();
    TestFrames.send(bootstrap, topic, List.of("gate"), List.of(serde.serialize(topic, set)));
  }

  private static ZoneDefinition zone(String name, double x0, double y0, double x1, double y1) {
    return ZoneDefinition.newBuilder()
        .setName(name)
        .setPolygon(
            List.of(new Point(x0, y0), new Point(x1, y0), new Point(x1, y1), new Point(x0, y1)))
        .build();
  }

  /**
   * Frame {@code i} of the clip: the fixture image (320x240) with a copy of its right rectangle in
   * place of the left one, {@value #STEP} pixels lower a frame for the first half of the clip and
   * back up in the second.
   */
  static byte[] movingFrame(int i) throws IOException {
    BufferedImage source = ImageIO.read(Fixtures.path("image1.png").toFile());
    int w = source.getWidth();
    int h = source.getHeight();
    int[] left = bounds(source, 0, 175);
    int[] right = bounds(source, 175, w);
    BufferedImage frame = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    frame.getGraphics().drawImage(source, 0, 0, null);
    // the left rectangle gives way to the background below it
    int lw = left[2] - left[0];
    int lh = left[3] - left[1];
    int[] patch = source.getRGB(left[0], left[1] + 110, lw, lh, null, 0, lw);
    frame.setRGB(left[0], left[1], lw, lh, patch, 0, lw);
    // a copy of the right rectangle (the one the model is surest of) walks down the left half
    int rw = right[2] - right[0];
    int rh = right[3] - right[1];
    int[] object = source.getRGB(right[0], right[1], rw, rh, null, 0, rw);
    int shift = STEP * Math.min(i, FRAMES - i);
    frame.setRGB(left[0] - 10, right[1] + shift, rw, rh, object, 0, rw);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(frame, "jpg", out);
    return out.toByteArray();
  }

  /**
   * The box {@code x0, y0, x1, y1} (ends exclusive, 3 pixels of margin) of the pixels between
   * columns {@code from} and {@code to} that are not the magenta background.
   */
  private static int[] bounds(BufferedImage image, int from, int to) {
    int x0 = to;
    int x1 = from;
    int y0 = image.getHeight();
    int y1 = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = from; x < to; x++) {
        int rgb = image.getRGB(x, y);
        boolean background = ((rgb >> 16) & 0xff) > 170 && (rgb & 0xff) > 170;
        if (!background) {
          x0 = Math.min(x0, x);
          x1 = Math.max(x1, x + 1);
          y0 = Math.min(y0, y);
          y1 = Math.max(y1, y + 1);
        }
      }
    }
    int pad = 3;
    return new int[] {x0 - pad, y0 - pad, x1 + pad, y1 + pad};
  }

  /**
   * Every event of a topic for read_committed consumers, described by {@code describe}, in order.
   */
  private static <T extends org.apache.avro.specific.SpecificRecord> List<String> read(
      String bootstrap, String topic, Class<T> type, Function<T, String> describe) {
    AvroSerde<T> serde = new AvroSerde<>(type);
    List<String> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> reader = TestFrames.committedReader(bootstrap, topic)) {
      for (int i = 0; i < 8; i++) {
        for (T e : TestFrames.poll(reader, r -> serde.deserialize(r.topic(), r.value()))) {
          out.add(describe.apply(e));
        }
      }
    }
    return out;
  }

  private static String describe(ObjectEvent e) {
    return e.getType()
        + " #"
        + e.getTrackId()
        + " "
        + e.getLabel()
        + " frame "
        + e.getFrameSequence()
        + " first "
        + e.getFirstSequence()
        + " last "
        + e.getLastSequence()
        + " zones "
        + e.getZones()
        + " entered "
        + e.getEnteredZones();
  }

  private static String describe(ZoneEvent e) {
    Map<String, Long> occupancy = new TreeMap<>();
    e.getOccupancy().forEach(c -> occupancy.put(c.getLabel(), c.getCount()));
    return e.getType()
        + " "
        + e.getZone()
        + " "
        + (e.getDirection() == null ? "" : e.getDirection() + " ")
        + "#"
        + e.getTrackId()
        + " frame "
        + e.getFrameSequence()
        + " dwell "
        + e.getDwellMillis()
        + " occupancy "
        + occupancy
        + " crossings "
        + e.getCrossings();
  }
}
