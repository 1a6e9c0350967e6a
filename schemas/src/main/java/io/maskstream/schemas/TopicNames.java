package io.maskstream.schemas;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The names of maskstream's topics; every role reads the same names so they can be changed in one
 * place ({@code --kafka-config} keys {@code maskstream.topic.frames} and so on).
 *
 * @param frames camera frames, keyed by camera id
 * @param detections detections per frame, keyed by camera id
 * @param masks instance masks per frame, keyed by camera id
 * @param models model announcements, keyed by model name, compacted
 * @param deadLetters records that could not be processed, with the reason
 * @param objects tracked objects' lifecycle events, keyed by camera id
 * @param zones the cameras' zone and line definitions, keyed by camera id, compacted
 * @param zoneEvents what tracked objects did at zones and lines, keyed by camera id
 * @param cameras camera definitions, keyed by camera id, compacted; ingest processes share its
 *     partitions
 * @param cameraStatus how each camera is doing, as the ingest process running it reports it, keyed
 *     by camera id, compacted
 */
public record TopicNames(
    String frames,
    String detections,
    String masks,
    String models,
    String deadLetters,
    String objects,
    String zones,
    String zoneEvents,
    String cameras,
    String cameraStatus) {

  /** The product's default names. */
  public static final TopicNames DEFAULTS =
      new TopicNames(
          "maskstream.frames",
          "maskstream.detections",
          "maskstream.masks",
          "maskstream.models",
          "maskstream.dlq",
          "maskstream.objects",
          "maskstream.zones",
          "maskstream.zone-events",
          "maskstream.cameras",
          "maskstream.camera-status");

  /** Property prefix for overriding a name, e.g. {@code maskstream.topic.frames=site1.frames}. */
  public static final String PROPERTY_PREFIX = "maskstream.topic.";

  /** Validates that every name is a legal Kafka topic name. */
  public TopicNames {
    for (String name :
        List.of(
            frames,
            detections,
            masks,
            models,
            deadLetters,
            objects,
            zones,
            zoneEvents,
            cameras,
            cameraStatus)) {
      Objects.requireNonNull(name, "topic name");
      if (!name.matches("[a-zA-Z0-9._-]{1,249}")) {
        throw new IllegalArgumentException(
            "invalid topic name '" + name + "': use 1-249 characters from a-z A-Z 0-9 . _ -");
      }
    }
  }

  /** The defaults, overridden by any {@code maskstream.topic.*} entries of {@code props}. */
  public static TopicNames from(Map<?, ?> props) {
    return new TopicNames(
        get(props, "frames", DEFAULTS.frames),
        get(props, "detections", DEFAULTS.detections),
        get(props, "masks", DEFAULTS.masks),
        get(props, "models", DEFAULTS.models),
        get(props, "dlq", DEFAULTS.deadLetters),
        get(props, "objects", DEFAULTS.objects),
        get(props, "zones", DEFAULTS.zones),
        get(props, "zone-events", DEFAULTS.zoneEvents),
        get(props, "cameras", DEFAULTS.cameras),
        get(props, "camera-status", DEFAULTS.cameraStatus));
  }

  /**
   * Every topic named {@code PREFIX.} and the default name's last part ({@code PREFIX.frames},
   * {@code PREFIX.zone-events}, ...): one set of topics per test or site on a shared cluster.
   */
  public static TopicNames prefixed(String prefix) {
    return new TopicNames(
        prefix + ".frames",
        prefix + ".detections",
        prefix + ".masks",
        prefix + ".models",
        prefix + ".dlq",
        prefix + ".objects",
        prefix + ".zones",
        prefix + ".zone-events",
        prefix + ".cameras",
        prefix + ".camera-status");
  }

  private static String get(Map<?, ?> props, String key, String fallback) {
    Object value = props.get(PROPERTY_PREFIX + key);
    return value == null ? fallback : value.toString().trim();
  }
}
