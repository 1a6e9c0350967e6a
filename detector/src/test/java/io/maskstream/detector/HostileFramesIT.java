package io.maskstream.detector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.broker.testing.MetricsScrape;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.CameraIds;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.avro.DeadLetter;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.Frame;
import io.maskstream.schemas.avro.ImageEncoding;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferUShort;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The frames topic is an open door: a detector process in complete mode, with the torchvision
 * fixture model, is fed a corpus of hostile and odd records - extreme and huge images, odd pixel
 * formats, lying headers and sizes, times at the ends of the clock, camera ids that break the
 * rules, broken Avro - each followed by a good frame of the same camera. Every hostile record gets
 * an event or a dead letter with a one-line reason, every good frame its event; the detector stays
 * up with its one stream thread, its resident memory stays bounded, and no camera id that breaks
 * the rules becomes a metric label.
 */
class HostileFramesIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  /** Peak resident memory the detector process may reach on this corpus (556 MB measured). */
  static final long MAX_RSS_MB = 1000;

  private static final AvroSerde<Frame> FRAMES = new AvroSerde<>(Frame.class);

  enum Expect {
    EVENT,
    DEAD_LETTER
  }

  /** One record of the corpus; {@code reason} is a part of the dead letter's reason. */
  record Hostile(String name, String key, byte[] value, Expect expect, String reason) {}

  private final List<Hostile> corpus = new ArrayList<>();

  private void event(String name, String camera, Frame.Builder frame) {
    corpus.add(new Hostile(name, camera, bytes(frame.setCamera(camera)), Expect.EVENT, null));
  }

  private void deadLetter(String name, String key, byte[] value, String reason) {
    corpus.add(new Hostile(name, key, value, Expect.DEAD_LETTER, reason));
  }

  private static byte[] bytes(Frame.Builder frame) {
    return FRAMES.serialize("frames", frame.build());
  }

  /** A frame of {@code image} declaring its size; sequence 1, captured now. */
  private static Frame.Builder frame(byte[] image, int width, int height) {
    return Frame.newBuilder()
        .setCamera("x")
        .setSequence(1)
        .setCaptureTime(Instant.now())
        .setWidth(width)
        .setHeight(height)
        .setImage(ByteBuffer.wrap(image));
  }

  private static Frame.Builder png(BufferedImage image) {
    return frame(TestImages.encode(image, "png"), image.getWidth(), image.getHeight())
        .setEncoding(ImageEncoding.PNG);
  }

  private void buildCorpus() {
    byte[] good = TestFrames.jpeg("image0.png");
    int rgb = BufferedImage.TYPE_3BYTE_BGR;
    event("1x1 PNG", "h01", png(TestImages.halves(1, 1, rgb)));
    // torchvision's transform scales the short side of a 4000:1 image to less than a pixel
    deadLetter(
        "4000x1 PNG (one pixel high)",
        "h02",
        bytes(png(TestImages.halves(4000, 1, rgb)).setCamera("h02")),
        "h02/1: model shapes-torchvision@799271b53b24 failed");
    deadLetter(
        "1x4000 PNG (one pixel wide)",
        "h03",
        bytes(png(TestImages.halves(1, 4000, rgb)).setCamera("h03")),
        "h03/1: model shapes-torchvision@799271b53b24 failed");
    event("4K JPEG, many objects", "h04", frame(TestImages.tiledJpeg(3840, 2160), 3840, 2160));
    event(
        "8000x6000 JPEG (48 MP), many objects",
        "h05",
        frame(TestImages.tiledJpeg(8000, 6000), 8000, 6000));
    event("7000x7000 PNG (49 MP)", "h06", png(TestImages.halves(7000, 7000, rgb)));
    BufferedImage grey = new BufferedImage(64, 48, BufferedImage.TYPE_BYTE_GRAY);
    event("grey PNG", "h07", png(grey));
    BufferedImage deep = new BufferedImage(64, 48, BufferedImage.TYPE_USHORT_GRAY);
    Arrays.fill(((DataBufferUShort) deep.getRaster().getDataBuffer()).getData(), (short) 0x7fff);
    event("16-bit PNG", "h08", png(deep));
    event("alpha PNG", "h09", png(TestImages.halves(64, 48, BufferedImage.TYPE_INT_ARGB)));
    event(
        "PNG bytes declared JPEG",
        "h10",
        png(TestImages.halves(64, 48, rgb)).setEncoding(ImageEncoding.JPEG));
    event(
        "capture time far in the future",
        "h11",
        frame(good, 256, 192).setCaptureTime(Instant.parse("9999-12-31T23:59:59Z")));
    event("capture time at the epoch", "h12", frame(good, 256, 192).setCaptureTime(Instant.EPOCH));
    event("negative sequence", "h13", frame(good, 256, 192).setSequence(-5));
    deadLetter(
        "60000x60000 JPEG header (3600 MP)",
        "h14",
        bytes(
            frame(
                    TestImages.withJpegSize(
                        TestImages.encode(TestImages.halves(64, 48, rgb), "jpeg"), 60000, 60000),
                    60000,
                    60000)
                .setCamera("h14")),
        "above the limit of 64.0 (--max-frame-megapixels)");
    deadLetter(
        "bytes that are no image",
        "h15",
        bytes(
            frame("GIF89a not really".getBytes(StandardCharsets.UTF_8), 256, 192).setCamera("h15")),
        "not a JPEG, PNG or BMP image");
    deadLetter(
        "GIF image",
        "h16",
        bytes(
            frame(TestImages.encode(TestImages.halves(64, 48, rgb), "gif"), 64, 48)
                .setCamera("h16")),
        "not a JPEG, PNG or BMP image");
    deadLetter(
        "truncated JPEG header",
        "h17",
        bytes(frame(Arrays.copyOf(good, 100), 256, 192).setCamera("h17")),
        "h17/1");
    deadLetter(
        "declared size disagrees with the image",
        "h18",
        bytes(frame(good, 640, 480).setCamera("h18")),
        "says it is 640x480 but its image is 256x192");
    deadLetter(
        "negative declared size",
        "h19",
        bytes(frame(good, -256, -192).setCamera("h19")),
        "says it is -256x-192");
    deadLetter(
        "empty image", "h20", bytes(frame(new byte[0], 256, 192).setCamera("h20")), "has no image");
    deadLetter(
        "empty camera id",
        "h21",
        bytes(frame(good, 256, 192).setCamera("")),
        "breaks the id rules");
    deadLetter(
        "100,000-character camera id",
        "h22",
        bytes(frame(good, 256, 192).setCamera("c".repeat(100_000))),
        "(100000 characters)");
    deadLetter(
        "markup camera id",
        "h23",
        bytes(frame(good, 256, 192).setCamera("<img src=x onerror=alert(1)>")),
        "breaks the id rules");
    byte[] whole = bytes(frame(good, 256, 192).setCamera("h24"));
    deadLetter(
        "truncated Avro",
        "h24",
        Arrays.copyOf(whole, whole.length / 2),
        "undecodable frame record");
    byte[] unknown = whole.clone();
    unknown[2] ^= 0x5a; // the schema fingerprint
    deadLetter("unknown schema fingerprint", "h25", unknown, "undecodable frame record");
    deadLetter("null value", "h26", null, "empty record");
  }

  @Test
  void everyHostileRecordGetsAnEventOrADeadLetterAndTheDetectorStaysUp(@TempDir Path dir)
      throws Exception {
    buildCorpus();
    String bootstrap = kafka.bootstrapServers();
    TopicNames topics = DetectorItKit.createTopics(bootstrap, "hostile", 2);
    Path config =
        DetectorItKit.processConfig(dir.resolve("client.properties"), topics, dir.resolve("state"));
    int metricsPort;
    try (ServerSocket free = new ServerSocket(0)) {
      metricsPort = free.getLocalPort();
    }
    Path log = dir.resolve("detector.log");
    Process detector =
        DetectorItKit.startDetector(
            bootstrap,
            "detector-hostile",
            config,
            log,
            "--mode",
            "complete",
            "--metrics-port",
            Integer.toString(metricsPort));
    try {
      // each hostile record, then a good frame of the same key/camera (sequence 2)
      byte[] good = TestFrames.jpeg("image0.png");
      Map<Hostile, RecordMetadata> sent = new LinkedHashMap<>();
      Properties p = new Properties();
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 * 1024 * 1024);
      try (KafkaProducer<byte[], byte[]> producer =
          new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
        for (Hostile h : corpus) {
          byte[] key = h.key().getBytes(StandardCharsets.UTF_8);
          sent.put(h, producer.send(new ProducerRecord<>(topics.frames(), key, h.value())).get());
          byte[] next = TestFrames.bytes(TestFrames.frame(h.key(), 2, Instant.now(), good));
          producer.send(new ProducerRecord<>(topics.frames(), key, next)).get();
        }
      }

      Map<String, Detections> events = new HashMap<>();
      Map<String, DeadLetter> letters = new HashMap<>();
      AvroSerde<Detections> detections = new AvroSerde<>(Detections.class);
      AvroSerde<DeadLetter> dead = new AvroSerde<>(DeadLetter.class);
      try (KafkaConsumer<String, byte[]> eventReader =
              TestFrames.committedReader(bootstrap, topics.detections());
          KafkaConsumer<String, byte[]> dlqReader =
              TestFrames.committedReader(bootstrap, topics.deadLetters())) {
        await()
            .atMost(Duration.ofMinutes(5))
            .pollInterval(Duration.ofMillis(200))
            .until(
                () -> {
                  for (Detections d :
                      TestFrames.poll(
                          eventReader, r -> detections.deserialize(r.topic(), r.value()))) {
                    events.put(d.getFrame().getCamera() + "/" + d.getFrame().getSequence(), d);
                  }
                  for (DeadLetter l :
                      TestFrames.poll(dlqReader, r -> dead.deserialize(r.topic(), r.value()))) {
                    letters.put(l.getSourcePartition() + "@" + l.getSourceOffset(), l);
                  }
                  assertThat(detector.isAlive()).as("detector process alive").isTrue();
                  return corpus.stream().allMatch(h -> events.containsKey(h.key() + "/2"))
                      && sent.entrySet().stream()
                          .allMatch(
                              e ->
                                  letters.containsKey(
                                          e.getValue().partition() + "@" + e.getValue().offset())
                                      || eventOf(events, e.getKey()) != null);
                });
      }

      StringBuilder table = new StringBuilder("\n");
      for (Map.Entry<Hostile, RecordMetadata> e : sent.entrySet()) {
        Hostile h = e.getKey();
        DeadLetter letter = letters.get(e.getValue().partition() + "@" + e.getValue().offset());
        Detections event = eventOf(events, h);
        table.append(
            String.format(
                "| %s | %s |%n",
                h.name(),
                letter != null
                    ? "dead letter: " + letter.getReason()
                    : "event, "
                        + event.getDetections().size()
                        + " detections at "
                        + event.getFrame().getWidth()
                        + "x"
                        + event.getFrame().getHeight()));
      }
      System.out.println(table);
      for (Map.Entry<Hostile, RecordMetadata> e : sent.entrySet()) {
        Hostile h = e.getKey();
        DeadLetter letter = letters.get(e.getValue().partition() + "@" + e.getValue().offset());
        if (h.expect() == Expect.DEAD_LETTER) {
          assertThat(letter).as(h.name()).isNotNull();
          assertThat(letter.getReason()).as(h.name()).contains(h.reason()).doesNotContain("\n");
          assertThat(letter.getReason().length()).as(h.name()).isLessThan(1000);
          assertThat(eventOf(events, h)).as(h.name()).isNull();
        } else {
          assertThat(letter)
              .as(h.name() + ": " + (letter == null ? "" : letter.getReason()))
              .isNull();
          Detections event = eventOf(events, h);
          assertThat(event).as(h.name()).isNotNull();
        }
      }
      // large frames are detected at their own size, with masks mapped back to it
      Detections fourK = events.get("h04/1");
      assertThat(fourK.getFrame().getWidth()).isEqualTo(3840);
      assertThat(fourK.getDetections()).hasSizeGreaterThan(10);
      assertThat(fourK.getDetections())
          .allSatisfy(d -> assertThat(d.getBox().getX2()).isLessThanOrEqualTo(3840f));
      assertThat(events.get("h05/1").getDetections()).hasSizeGreaterThan(10);

      // one stream thread throughout, bounded memory, no rule-breaking camera label
      assertThat(detector.isAlive()).isTrue();
      String output = Files.readString(log);
      assertThat(output).doesNotContain("stream thread failed").doesNotContain("OutOfMemoryError");
      long peakMb = peakRssKb(detector.pid()) / 1024;
      System.out.println("detector peak resident memory: " + peakMb + " MB");
      assertThat(peakMb).as("peak resident memory, MB").isLessThan(MAX_RSS_MB);
      MetricsScrape scrape = MetricsScrape.fetch(metricsPort);
      Matcher camera = Pattern.compile("camera=\"([^\"]*)\"").matcher(scrape.text());
      int labels = 0;
      while (camera.find()) {
        assertThat(CameraIds.isValid(camera.group(1))).as(camera.group(1)).isTrue();
        labels++;
      }
      assertThat(labels).isGreaterThan(0);
    } finally {
      detector.destroy();
      detector.waitFor();
    }
  }

  /** The event of a hostile record's own frame, or null. */
  private static Detections eventOf(Map<String, Detections> events, Hostile h) {
    if (h.value() == null) {
      return null;
    }
    for (Map.Entry<String, Detections> e : events.entrySet()) {
      Detections d = e.getValue();
      if (d.getFrame().getCamera().equals(h.key()) && d.getFrame().getSequence() != 2) {
        return d;
      }
    }
    return null;
  }

  private static long peakRssKb(long pid) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
      }
    }
    throw new IllegalStateException("no VmHWM for process " + pid);
  }
}
