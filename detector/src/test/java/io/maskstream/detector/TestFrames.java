package io.maskstream.detector;

import io.maskstream.detector.image.DecodedImage;
import io.maskstream.detector.image.ImageDecoder;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.avro.Frame;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;

/** Frames made from the fixture images, and Kafka clients to move them. */
public final class TestFrames {
  // creating a serde first also trusts the generated classes (AVRO-4189) before any builder runs
  private static final AvroSerde<Frame> FRAMES = new AvroSerde<>(Frame.class);

  private TestFrames() {}

  /** A fixture image re-encoded as JPEG, as cameras send it. */
  public static byte[] jpeg(String fixture) {
    try (Mat image = opencv_imgcodecs.imread(Fixtures.path(fixture).toString());
        BytePointer out = new BytePointer()) {
      if (!opencv_imgcodecs.imencode(".jpg", image, out)) {
        throw new IllegalStateException("cannot encode " + fixture);
      }
      byte[] bytes = new byte[(int) out.limit()];
      out.get(bytes);
      return bytes;
    }
  }

  /**
   * A frame record value declaring the image's own size (256x192, the fixtures' usual size, when
   * the bytes are no image).
   */
  public static Frame frame(String camera, long sequence, Instant captured, byte[] image) {
    int width = 256;
    int height = 192;
    try {
      DecodedImage decoded = ImageDecoder.decode(image);
      width = decoded.frameWidth();
      height = decoded.frameHeight();
    } catch (SegmentationException e) {
      // a test's broken image: any size will do
    }
    return Frame.newBuilder()
        .setCamera(camera)
        .setSequence(sequence)
        .setCaptureTime(captured)
        .setWidth(width)
        .setHeight(height)
        .setImage(ByteBuffer.wrap(image))
        .build();
  }

  /** Sends raw values keyed by camera id, waiting for every acknowledgement. */
  public static void send(String bootstrap, String topic, List<String> keys, List<byte[]> values)
      throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 * 1024 * 1024);
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < keys.size(); i++) {
        producer.send(new ProducerRecord<>(topic, keys.get(i), values.get(i))).get();
      }
    }
  }

  /** Serialises frames with the product's serde. */
  public static byte[] bytes(Frame frame) {
    return FRAMES.serialize("frames", frame);
  }

  /** A read_committed consumer of a whole topic from the beginning. */
  public static KafkaConsumer<String, byte[]> committedReader(String bootstrap, String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "verify-" + topic + "-" + System.nanoTime());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    KafkaConsumer<String, byte[]> c =
        new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    c.subscribe(List.of(topic));
    return c;
  }

  /** Polls once and maps the values of what arrived. */
  public static <T> List<T> poll(
      KafkaConsumer<String, byte[]> consumer, Function<ConsumerRecord<String, byte[]>, T> map) {
    List<T> out = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> r : consumer.poll(java.time.Duration.ofMillis(500))) {
      out.add(map.apply(r));
    }
    return out;
  }
}
