package io.maskstream.sinks;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.avro.Box;
import io.maskstream.schemas.avro.Detection;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.Frame;
import io.maskstream.schemas.avro.FrameRef;
import io.maskstream.schemas.avro.ImageEncoding;
import io.maskstream.schemas.avro.InstanceMask;
import io.maskstream.schemas.avro.Keypoint;
import io.maskstream.schemas.avro.Masks;
import io.maskstream.schemas.avro.ModelRef;
import io.maskstream.schemas.avro.Rle;
import io.maskstream.schemas.avro.Timings;
import io.maskstream.schemas.avro.ZoneEvent;
import io.maskstream.schemas.avro.ZoneSet;
import io.maskstream.schemas.rle.CocoRle;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Frames and events made up for tests, and a producer that puts them on the topics. */
public final class EventSamples implements AutoCloseable {
  public static final TopicNames TOPICS = TopicNames.DEFAULTS;
  public static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private final KafkaProducer<byte[], byte[]> producer;
  private final AvroSerde<Frame> frames = new AvroSerde<>(Frame.class);
  private final AvroSerde<Detections> detections = new AvroSerde<>(Detections.class);
  private final AvroSerde<Masks> masks = new AvroSerde<>(Masks.class);
  private final AvroSerde<ZoneSet> zoneSets = new AvroSerde<>(ZoneSet.class);
  private final AvroSerde<ZoneEvent> zoneEvents = new AvroSerde<>(ZoneEvent.class);

  public EventSamples(String bootstrap) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
  }

  public static FrameRef ref(String camera, long sequence, int width, int height) {
    return new FrameRef(camera, sequence, T0.plusMillis(sequence * 66), width, height);
  }

  /** A mask that is 1 on the rectangle [x1, x2) x [y1, y2). */
  public static CocoRle rectangle(int width, int height, int x1, int y1, int x2, int y2) {
    byte[] pixels = new byte[width * height];
    for (int y = y1; y < y2; y++) {
      for (int x = x1; x < x2; x++) {
        pixels[y * width + x] = 1;
      }
    }
    return CocoRle.encodeRowMajor(pixels, height, width);
  }

  /**
   * Detections of {@code n} instances, the i-th a box [10i, 10i+8) x [5, 15) labelled {@code label}
   * with score 0.9 - 0.1 i.
   */
  public static Detections detections(
      String camera, long sequence, String modelVersion, int n, String label) {
    List<Detection> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      list.add(
          new Detection(
              i + 1, label, 0.9f - 0.1f * i, new Box(10f * i, 5f, 10f * i + 8, 15f), null, null));
    }
    FrameRef frame = ref(camera, sequence, 64, 48);
    return new Detections(
        frame,
        new ModelRef("test-model", modelVersion),
        new Timings(1f, 2f, 3f, 4f, frame.getCaptureTime().plusMillis(40)),
        list,
        List.of(),
        List.of());
  }

  /** {@code d} with the given track ids, one per detection in order; 0 for an untracked one. */
  public static Detections tracked(Detections d, long... ids) {
    List<Detection> list = new ArrayList<>();
    for (int i = 0; i < d.getDetections().size(); i++) {
      Detection x = d.getDetections().get(i);
      list.add(
          new Detection(
              x.getClassId(),
              x.getLabel(),
              x.getScore(),
              x.getBox(),
              ids[i] == 0 ? null : ids[i],
              x.getKeypoints()));
    }
    return new Detections(
        d.getFrame(), d.getModel(), d.getTimings(), list, d.getKeypointNames(), d.getSkeleton());
  }

  /**
   * {@code d} from a keypoint model: each detection gets two keypoints, its box's top-left and
   * bottom-right corners with scores 2.5 and -1, named {@code head} and {@code foot} and joined.
   */
  public static Detections withKeypoints(Detections d) {
    List<Detection> list = new ArrayList<>();
    for (Detection x : d.getDetections()) {
      Box b = x.getBox();
      list.add(
          new Detection(
              x.getClassId(),
              x.getLabel(),
              x.getScore(),
              b,
              x.getTrackId(),
              List.of(
                  new Keypoint(b.getX1(), b.getY1(), 2.5f),
                  new Keypoint(b.getX2(), b.getY2(), -1f))));
    }
    return new Detections(
        d.getFrame(),
        d.getModel(),
        d.getTimings(),
        list,
        List.of("head", "foot"),
        List.of(List.of(1, 2)));
  }

  /** The masks of {@link #detections}: each instance's box as its mask. */
  public static Masks masks(String camera, long sequence, String modelVersion, int n) {
    List<InstanceMask> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      CocoRle rle = rectangle(64, 48, 10 * i, 5, 10 * i + 8, 15);
      list.add(new InstanceMask(i, new Rle(48, 64, rle.toCompressedString())));
    }
    return new Masks(ref(camera, sequence, 64, 48), new ModelRef("test-model", modelVersion), list);
  }

  /** A JPEG of one colour. */
  public static byte[] jpeg(int width, int height, Color color) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setColor(color);
    g.fillRect(0, 0, width, height);
    g.dispose();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "jpg", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  public static Frame frame(String camera, long sequence, int width, int height, Color color) {
    FrameRef ref = ref(camera, sequence, width, height);
    return new Frame(
        camera,
        sequence,
        ref.getCaptureTime(),
        width,
        height,
        ImageEncoding.JPEG,
        ByteBuffer.wrap(jpeg(width, height, color)),
        null);
  }

  public void send(Frame frame) {
    producer.send(
        new ProducerRecord<>(
            TOPICS.frames(), key(frame.getCamera()), frames.serialize(TOPICS.frames(), frame)));
  }

  public void send(Detections d) {
    producer.send(
        new ProducerRecord<>(
            TOPICS.detections(),
            key(d.getFrame().getCamera()),
            detections.serialize(TOPICS.detections(), d)));
  }

  public void send(Masks m) {
    producer.send(
        new ProducerRecord<>(
            TOPICS.masks(), key(m.getFrame().getCamera()), masks.serialize(TOPICS.masks(), m)));
  }

  /** Stores {@code set} as its camera's zones. */
  public void send(ZoneSet set) {
    producer.send(
        new ProducerRecord<>(
            TOPICS.zones(), key(set.getCamera()), zoneSets.serialize(TOPICS.zones(), set)));
  }

  /** Removes {@code camera}'s zones (a tombstone). */
  public void removeZones(String camera) {
    producer.send(new ProducerRecord<>(TOPICS.zones(), key(camera), null));
  }

  public void send(ZoneEvent e) {
    producer.send(
        new ProducerRecord<>(
            TOPICS.zoneEvents(), key(e.getCamera()), zoneEvents.serialize(TOPICS.zoneEvents(), e)));
  }

  public void sendRaw(String topic, String key, byte[] value) {
    producer.send(new ProducerRecord<>(topic, key(key), value));
  }

  public void flush() {
    producer.flush();
  }

  private static byte[] key(String camera) {
    return camera.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Creates the topics of {@link #TOPICS}: two partitions each, one for dead letters. */
  public static void createTopics(KafkaBrokerExtension kafka) {
    createTopics(kafka, 2);
  }

  /** Creates the topics of {@link #TOPICS}: {@code partitions} each, one for dead letters. */
  public static void createTopics(KafkaBrokerExtension kafka, int partitions) {
    kafka.createTopic(TOPICS.frames(), partitions);
    kafka.createTopic(TOPICS.detections(), partitions);
    kafka.createTopic(TOPICS.masks(), partitions);
    kafka.createTopic(TOPICS.deadLetters(), 1);
  }

  /** Client properties of a sink talking to {@code bootstrap}. */
  public static Properties clientProperties(String bootstrap) {
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrap);
    return props;
  }

  /** Reads every dead letter currently on the topic. */
  public static List<io.maskstream.schemas.avro.DeadLetter> deadLetters(String bootstrap) {
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrap);
    props.put("group.id", "dlq-reader-" + System.nanoTime());
    props.put("auto.offset.reset", "earliest");
    AvroSerde<io.maskstream.schemas.avro.DeadLetter> serde =
        new AvroSerde<>(io.maskstream.schemas.avro.DeadLetter.class);
    List<io.maskstream.schemas.avro.DeadLetter> out = new ArrayList<>();
    try (org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> c =
        new org.apache.kafka.clients.consumer.KafkaConsumer<>(
            props,
            new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
            new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
      c.subscribe(List.of(TOPICS.deadLetters()));
      long until = System.currentTimeMillis() + 5000;
      while (System.currentTimeMillis() < until) {
        for (var r : c.poll(java.time.Duration.ofMillis(200))) {
          out.add(serde.deserialize(r.topic(), r.value()));
        }
        if (!out.isEmpty() && c.assignment().size() > 0) {
          Map<org.apache.kafka.common.TopicPartition, Long> end = c.endOffsets(c.assignment());
          boolean atEnd = true;
          for (var e : end.entrySet()) {
            atEnd &= c.position(e.getKey()) >= e.getValue();
          }
          if (atEnd) {
            break;
          }
        }
      }
    }
    return out;
  }

  @Override
  public void close() {
    producer.close();
  }
}
