package io.maskstream.schemas.models;

import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.CompactedTopic;
import io.maskstream.schemas.avro.ModelAnnouncement;
import io.maskstream.schemas.avro.ModelServing;
import io.maskstream.schemas.avro.ShadowCandidate;
import io.maskstream.schemas.avro.ShadowReport;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models a fleet of detectors knows, on compacted topics beside the model store:
 *
 * <ul>
 *   <li>the models topic ({@code maskstream.models}), keyed by model name: the version announced
 *       now, which detectors following that name serve;
 *   <li>the versions topic ({@code MODELS.versions}), keyed by {@code NAME@VERSION}: every version
 *       ever published, as first announced (with its metrics and gate figures), so that the
 *       versions before the current one stay known after the models topic is compacted;
 *   <li>the serving topic ({@code MODELS.serving}), keyed by detector id: what each running
 *       detector serves ({@link ModelServing});
 *   <li>the shadow topic ({@code MODELS.shadow}), keyed by model name: the candidate detectors
 *       serving that model run beside it ({@link ShadowCandidate});
 *   <li>the shadow reports topic ({@code MODELS.shadow.reports}), keyed by {@code
 *       MODEL@CANDIDATE_VERSION@DETECTOR}: how the candidate agrees with the model on each detector
 *       ({@link ShadowReport}).
 * </ul>
 *
 * <p>A version is the leading hex digits of the sha256 of its file: publishing the same file again
 * gives the same version. Reads go through the whole topic without a consumer group ({@link
 * CompactedTopic}); records that do not decode are logged and skipped. Stateless apart from its
 * client settings; each call creates and closes its own clients.
 */
public final class ModelRegistry {
  private static final Logger log = LoggerFactory.getLogger(ModelRegistry.class);

  private final Properties kafka;
  private final String modelsTopic;
  private final Map<String, Object> serdeConfig = new HashMap<>();

  /**
   * The registry of {@code modelsTopic} and the topics named after it.
   *
   * @param kafka client properties (copied)
   */
  public ModelRegistry(Properties kafka, String modelsTopic) {
    this.kafka = new Properties();
    this.kafka.putAll(kafka);
    this.modelsTopic = modelsTopic;
    kafka.forEach((k, v) -> serdeConfig.put(k.toString(), v));
  }

  /** The versions topic of a models topic: {@code MODELS.versions}. */
  public static String versionsTopic(String modelsTopic) {
    return modelsTopic + ".versions";
  }

  /** The serving topic of a models topic: {@code MODELS.serving}. */
  public static String servingTopic(String modelsTopic) {
    return modelsTopic + ".serving";
  }

  /**
   * The shadow topic of a models topic: {@code MODELS.shadow}, keyed by model name, the candidate
   * run beside each model ({@link io.maskstream.schemas.avro.ShadowCandidate}).
   */
  public static String shadowTopic(String modelsTopic) {
    return modelsTopic + ".shadow";
  }

  /**
   * The shadow reports topic of a models topic: {@code MODELS.shadow.reports}, keyed by {@link
   * #shadowReportKey}, how each detector's candidate agrees with what it serves ({@link
   * io.maskstream.schemas.avro.ShadowReport}).
   */
  public static String shadowReportsTopic(String modelsTopic) {
    return shadowTopic(modelsTopic) + ".reports";
  }

  /** The key of a shadow report: {@code MODEL@CANDIDATE_VERSION@DETECTOR}. */
  public static String shadowReportKey(String model, String candidateVersion, String detector) {
    return model + "@" + candidateVersion + "@" + detector;
  }

  /** The key of a version on the versions topic: {@code NAME@VERSION}. */
  public static String versionKey(String name, String version) {
    return name + "@" + version;
  }

  /** The models topic. */
  public String modelsTopic() {
    return modelsTopic;
  }

  /** The model store beside the models topic. */
  public ModelStore store() {
    return new ModelStore(kafka, ModelStore.topicFor(modelsTopic));
  }

  /**
   * The announcement that stands now for every model name, by name.
   *
   * @throws org.apache.kafka.common.KafkaException when Kafka does not answer in time
   */
  public Map<String, ModelAnnouncement> announced() {
    Map<String, ModelAnnouncement> out = new TreeMap<>();
    try (AvroSerde<ModelAnnouncement> serde = announcementSerde()) {
      CompactedTopic.readAll(
          kafka,
          modelsTopic,
          r -> {
            if (r.key() == null) {
              return;
            }
            ModelAnnouncement a = decode(serde, r);
            if (r.value() == null) {
              out.remove(r.key());
            } else if (a != null) {
              out.put(r.key(), a);
            }
          });
    }
    return out;
  }

  /**
   * The announcement that stands now for {@code name}: the version detectors following it serve.
   */
  public Optional<ModelAnnouncement> announced(String name) {
    return Optional.ofNullable(announced().get(name));
  }

  /**
   * Every published version of every model, by name, each list oldest first (by publication time).
   */
  public Map<String, List<ModelAnnouncement>> versions() {
    // newest record per key; a key written again moves to the end
    Map<String, ModelAnnouncement> byKey = new LinkedHashMap<>();
    try (AvroSerde<ModelAnnouncement> serde = announcementSerde()) {
      CompactedTopic.readAll(
          kafka,
          versionsTopic(modelsTopic),
          r -> {
            if (r.key() == null) {
              return;
            }
            ModelAnnouncement a = decode(serde, r);
            byKey.remove(r.key());
            if (a != null) {
              byKey.put(r.key(), a);
            }
          });
    }
    Map<String, List<ModelAnnouncement>> out = new TreeMap<>();
    for (ModelAnnouncement a : byKey.values()) {
      out.computeIfAbsent(a.getName(), n -> new ArrayList<>()).add(a);
    }
    out.values().forEach(list -> list.sort(Comparator.comparing(a -> a.getPublishedTime())));
    return out;
  }

  /** The published versions of {@code name}, oldest first; empty when it has none. */
  public List<ModelAnnouncement> versions(String name) {
    return versions().getOrDefault(name, List.of());
  }

  /** What each running detector reports it serves, by detector id. */
  public Map<String, ModelServing> serving() {
    Map<String, ModelServing> out = new TreeMap<>();
    try (AvroSerde<ModelServing> serde = new AvroSerde<>(ModelServing.class, serdeConfig, false)) {
      CompactedTopic.readAll(
          kafka,
          servingTopic(modelsTopic),
          r -> {
            if (r.key() == null) {
              return;
            }
            ModelServing s = decode(serde, r);
            if (r.value() == null || s == null) {
              out.remove(r.key());
            } else {
              out.put(r.key(), s);
            }
          });
    }
    return out;
  }

  /** The candidate shadowed beside each model now, by model name. */
  public Map<String, ShadowCandidate> shadowCandidates() {
    Map<String, ShadowCandidate> out = new TreeMap<>();
    try (AvroSerde<ShadowCandidate> serde =
        new AvroSerde<>(ShadowCandidate.class, serdeConfig, false)) {
      CompactedTopic.readAll(
          kafka,
          shadowTopic(modelsTopic),
          r -> {
            if (r.key() == null) {
              return;
            }
            ShadowCandidate c = decode(serde, r);
            if (r.value() == null || c == null) {
              out.remove(r.key());
            } else {
              out.put(r.key(), c);
            }
          });
    }
    return out;
  }

  /** Every detector's newest shadow report, by {@link #shadowReportKey}. */
  public Map<String, ShadowReport> shadowReports() {
    Map<String, ShadowReport> out = new TreeMap<>();
    try (AvroSerde<ShadowReport> serde = new AvroSerde<>(ShadowReport.class, serdeConfig, false)) {
      CompactedTopic.readAll(
          kafka,
          shadowReportsTopic(modelsTopic),
          r -> {
            if (r.key() == null) {
              return;
            }
            ShadowReport s = decode(serde, r);
            if (r.value() == null || s == null) {
              out.remove(r.key());
            } else {
              out.put(r.key(), s);
            }
          });
    }
    return out;
  }

  /**
   * Sets {@code c} as the candidate shadowed beside its model, replacing any other: detectors
   * serving the model start running it beside.
   *
   * @throws IOException when Kafka does not confirm the write
   */
  public void shadow(ShadowCandidate c) throws IOException {
    String topic = shadowTopic(modelsTopic);
    try (AvroSerde<ShadowCandidate> serde =
        new AvroSerde<>(ShadowCandidate.class, serdeConfig, false)) {
      CompactedTopic.write(kafka, topic, c.getModel(), serde.serialize(topic, c));
    }
  }

  /**
   * Ends the shadow of {@code model} (a tombstone): detectors stop running its candidate.
   *
   * @throws IOException when Kafka does not confirm the write
   */
  public void endShadow(String model) throws IOException {
    CompactedTopic.write(kafka, shadowTopic(modelsTopic), model, null);
  }

  /**
   * Records {@code a} as a published version and announces it: detectors following its name swap to
   * it. The version is recorded first, so an announced version is always listed.
   *
   * @throws IOException when Kafka does not confirm a write
   */
  public void publish(ModelAnnouncement a) throws IOException {
    try (AvroSerde<ModelAnnouncement> serde = announcementSerde()) {
      String versions = versionsTopic(modelsTopic);
      CompactedTopic.write(
          kafka, versions, versionKey(a.getName(), a.getVersion()), serde.serialize(versions, a));
    }
    announce(a);
  }

  /**
   * Announces {@code a} on the models topic only (a version published before, announced again).
   *
   * @throws IOException when Kafka does not confirm the write
   */
  public void announce(ModelAnnouncement a) throws IOException {
    try (AvroSerde<ModelAnnouncement> serde = announcementSerde()) {
      CompactedTopic.write(kafka, modelsTopic, a.getName(), serde.serialize(modelsTopic, a));
    }
  }

  /**
   * The version to go back to from {@code current}: the one published last before it. When the
   * current version is not among {@code versions} (announced before versions were recorded), the
   * newest other version.
   *
   * @param versions the model's versions, oldest first
   * @return empty when there is none
   */
  public static Optional<ModelAnnouncement> previous(
      List<ModelAnnouncement> versions, String current) {
    int at = -1;
    for (int i = 0; i < versions.size(); i++) {
      if (versions.get(i).getVersion().equals(current)) {
        at = i;
      }
    }
    int from = at >= 0 ? at - 1 : versions.size() - 1;
    for (int i = from; i >= 0; i--) {
      if (!versions.get(i).getVersion().equals(current)) {
        return Optional.of(versions.get(i));
      }
    }
    return Optional.empty();
  }

  /**
   * The versions whose version string starts with {@code prefix} (case-insensitive): one for an
   * unambiguous prefix, none or several otherwise.
   */
  public static List<ModelAnnouncement> matching(List<ModelAnnouncement> versions, String prefix) {
    String p = prefix.toLowerCase(java.util.Locale.ROOT);
    Map<String, ModelAnnouncement> out = new LinkedHashMap<>();
    for (ModelAnnouncement a : versions) {
      if (a.getVersion().toLowerCase(java.util.Locale.ROOT).startsWith(p)) {
        out.put(a.getVersion(), a);
      }
    }
    return List.copyOf(out.values());
  }

  private AvroSerde<ModelAnnouncement> announcementSerde() {
    return new AvroSerde<>(ModelAnnouncement.class, serdeConfig, false);
  }

  private static <T extends org.apache.avro.specific.SpecificRecord> T decode(
      AvroSerde<T> serde, ConsumerRecord<String, byte[]> r) {
    if (r.value() == null) {
      return null;
    }
    try {
      return serde.deserialize(r.topic(), r.value());
    } catch (SerializationException e) {
      log.warn(
          "skipped the record of {} at {} offset {}: {}",
          r.key(),
          r.topic(),
          r.offset(),
          e.getMessage());
      return null;
    }
  }
}
