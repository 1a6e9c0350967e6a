package io.maskstream.ingest.cameras;

import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.CameraIds;
import io.maskstream.schemas.CompactedTopic;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.Topics;
import io.maskstream.schemas.avro.Camera;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;

/**
 * The compacted cameras topic: camera definitions keyed by camera id, a tombstone removes one.
 * Writes use an idempotent producer and wait for every replica; reads take the whole topic to its
 * end offsets without a consumer group.
 */
public final class CameraTopic {
  /** How long Kafka may take to answer one request. */
  public static final Duration TIMEOUT = CompactedTopic.TIMEOUT;

  private CameraTopic() {}

  /** The serde of definitions, configured from the client properties (registry or not). */
  static AvroSerde<Camera> serde(Properties props) {
    Map<String, Object> serdeConfig = new HashMap<>();
    props.forEach((k, v) -> serdeConfig.put(k.toString(), v));
    return new AvroSerde<>(Camera.class, serdeConfig, false);
  }

  /** Creates maskstream's topics that are missing, the cameras topic among them. */
  public static void ensure(Properties props, TopicNames topics) {
    try (Admin admin = Admin.create(props)) {
      Topics.ensure(admin, Topics.specs(topics, Topics.DEFAULT_PARTITIONS), TIMEOUT);
    }
  }

  /**
   * Creates the cameras topic and the camera status topic when they are missing.
   *
   * @throws KafkaException when Kafka cannot be reached or refuses within {@code timeout}
   */
  public static void ensureCamerasTopic(Properties props, TopicNames topics, Duration timeout) {
    Admin admin = Admin.create(props);
    try {
      Topics.ensure(
          admin,
          Topics.specs(topics, Topics.DEFAULT_PARTITIONS).stream()
              .filter(
                  spec ->
                      spec.name().equals(topics.cameras())
                          || spec.name().equals(topics.cameraStatus()))
              .toList(),
          timeout);
    } finally {
      // calls still pending when Kafka did not answer are abandoned, not awaited
      admin.close(Duration.ZERO);
    }
  }

  /**
   * Stores {@code camera} keyed by its id, or removes the camera {@code id} when {@code camera} is
   * null, and waits until every replica has it.
   *
   * @throws IOException when the write is not confirmed
   */
  public static void write(Properties props, String topic, String id, Camera camera)
      throws IOException {
    byte[] value = null;
    if (camera != null) {
      try (AvroSerde<Camera> serde = serde(props)) {
        value = serde.serialize(topic, camera);
      }
    }
    CompactedTopic.write(props, topic, id, value);
  }

  /**
   * The newest valid definition per camera id, in id order: the topic read from its beginning to
   * its end offsets without a consumer group. Records that do not decode or break the rules are
   * reported to {@code skipped} (one line each) and left out.
   *
   * @throws KafkaException when Kafka does not answer in time
   */
  public static Map<String, Camera> readAll(
      Properties props, String topic, Consumer<String> skipped) {
    Map<String, Camera> newest = new TreeMap<>();
    try (AvroSerde<Camera> serde = serde(props)) {
      CompactedTopic.readAll(
          props,
          topic,
          r -> {
            if (r.value() == null) {
              if (r.key() != null) {
                newest.remove(r.key());
              }
              return;
            }
            try {
              newest.put(r.key(), decode(r, serde));
            } catch (IllegalArgumentException e) {
              skipped.accept(e.getMessage());
            }
          });
    }
    return newest;
  }

  /**
   * The checked definition a record holds (not a tombstone).
   *
   * @throws IllegalArgumentException saying which record was skipped and why, on one line
   */
  static Camera decode(ConsumerRecord<String, byte[]> r, AvroSerde<Camera> serde) {
    String where =
        "skipped the record at "
            + r.topic()
            + "-"
            + r.partition()
            + " offset "
            + r.offset()
            + " (key "
            + CameraIds.quote(r.key())
            + "): ";
    if (r.key() == null) {
      throw new IllegalArgumentException(where + "it has no key: the key is the camera id");
    }
    Camera camera;
    try {
      camera = serde.deserialize(r.topic(), r.value());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(where + "not a Camera: " + oneLine(e), e);
    }
    if (!r.key().equals(camera.getId())) {
      throw new IllegalArgumentException(
          where + "its value is for camera " + CameraIds.quote(camera.getId()) + ", not the key");
    }
    try {
      CameraDefinitions.toIngest(camera);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + e.getMessage(), e);
    }
    return camera;
  }

  static String oneLine(Throwable e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return message.replaceAll("\\s*\\R\\s*", " ");
  }
}
