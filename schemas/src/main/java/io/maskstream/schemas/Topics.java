package io.maskstream.schemas;

import io.maskstream.schemas.cli.KafkaRefusals;
import io.maskstream.schemas.models.ModelRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What maskstream's topics look like (partitions and configs) and how to create the missing ones.
 *
 * <p>Frames are large and short-lived: records up to {@value #MAX_FRAME_BYTES} bytes, kept for an
 * hour. The models topic is compacted, so the newest announcement per model name is kept forever;
 * so are its versions topic (every published version), serving topic (what each detector serves),
 * shadow topic (the candidate run beside each model) and shadow reports topic, and the cameras
 * topic, whose partitions are what ingest processes share. The dead-letter topic takes a whole
 * refused frame plus its reason.
 */
public final class Topics {
  /** Largest frame record the frames topic accepts (8 MiB). */
  public static final int MAX_FRAME_BYTES = 8 * 1024 * 1024;

  /** Largest dead-letter record: a whole frame plus the reason and headers. */
  public static final int MAX_DEAD_LETTER_BYTES = MAX_FRAME_BYTES + 512 * 1024;

  /** How long frames are kept. */
  public static final Duration FRAME_RETENTION = Duration.ofHours(1);

  /** Default partition count of the per-camera topics (the detector's unit of parallelism). */
  public static final int DEFAULT_PARTITIONS = 4;

  private static final Logger LOG = LoggerFactory.getLogger(Topics.class);

  /**
   * One topic to create.
   *
   * @param name topic name
   * @param partitions partition count
   * @param configs topic-level configs
   */
  public record Spec(String name, int partitions, Map<String, String> configs) {
    /** As an admin request, with the cluster's default replication factor. */
    public NewTopic toNewTopic() {
      return new NewTopic(name, Optional.of(partitions), Optional.empty()).configs(configs);
    }
  }

  private Topics() {}

  /** The specs of all topics, with {@code partitions} partitions for the per-camera ones. */
  public static List<Spec> specs(TopicNames names, int partitions) {
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be at least 1, got " + partitions);
    }
    return List.of(
        new Spec(
            names.frames(),
            partitions,
            Map.of(
                TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(MAX_FRAME_BYTES),
                TopicConfig.RETENTION_MS_CONFIG, Long.toString(FRAME_RETENTION.toMillis()),
                TopicConfig.SEGMENT_MS_CONFIG, Long.toString(Duration.ofMinutes(10).toMillis()),
                TopicConfig.RETENTION_BYTES_CONFIG, Long.toString(2L * 1024 * 1024 * 1024))),
        new Spec(names.detections(), partitions, Map.of()),
        new Spec(names.objects(), partitions, Map.of()),
        new Spec(names.zoneEvents(), partitions, Map.of()),
        new Spec(
            names.zones(),
            1,
            Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)),
        new Spec(
            names.cameras(),
            partitions,
            Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)),
        new Spec(
            names.cameraStatus(),
            partitions,
            Map.of(
                TopicConfig.CLEANUP_POLICY_CONFIG,
                TopicConfig.CLEANUP_POLICY_COMPACT,
                // reports come every few seconds: compact often so the topic stays small
                TopicConfig.SEGMENT_MS_CONFIG,
                Long.toString(Duration.ofMinutes(10).toMillis()),
                TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG,
                "0.1")),
        new Spec(
            names.masks(),
            partitions,
            Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(MAX_FRAME_BYTES))),
        new Spec(
            names.models(),
            1,
            Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)),
        new Spec(
            ModelRegistry.versionsTopic(names.models()),
            1,
            Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)),
        new Spec(
            ModelRegistry.servingTopic(names.models()),
            1,
            Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)),
        new Spec(
            ModelRegistry.shadowTopic(names.models()),
            1,
            Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)),
        new Spec(
            ModelRegistry.shadowReportsTopic(names.models()),
            1,
            Map.of(
                TopicConfig.CLEANUP_POLICY_CONFIG,
                TopicConfig.CLEANUP_POLICY_COMPACT,
                // a report every 10 s per detector: compact often so the topic stays small
                TopicConfig.SEGMENT_MS_CONFIG,
                Long.toString(Duration.ofMinutes(10).toMillis()),
                TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG,
                "0.1")),
        new Spec(
            names.deadLetters(),
            1,
            Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(MAX_DEAD_LETTER_BYTES))));
  }

  /**
   * Creates the topics of {@code specs} that do not exist yet; existing topics are left as they
   * are, with a warning when the frames topic cannot take full-size frames.
   *
   * @return the names of the topics created
   * @throws KafkaException when the cluster cannot be reached in {@code timeout} or refuses
   */
  public static List<String> ensure(Admin admin, List<Spec> specs, Duration timeout) {
    try {
      Set<String> existing =
          admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      List<NewTopic> missing = new ArrayList<>();
      for (Spec spec : specs) {
        if (existing.contains(spec.name())) {
          checkMaxMessageBytes(admin, spec, timeout);
        } else {
          missing.add(spec.toNewTopic());
        }
      }
      List<String> created = new ArrayList<>();
      for (var entry : admin.createTopics(missing).values().entrySet()) {
        try {
          entry.getValue().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
          created.add(entry.getKey());
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new ExecutionException(KafkaRefusals.namingTopic(e.getCause(), entry.getKey()));
          }
        }
      }
      if (!created.isEmpty()) {
        LOG.info("Created topics {}", created);
      }
      return created;
    } catch (ExecutionException e) {
      throw new KafkaException("cannot create topics: " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new KafkaException(
          "Kafka did not answer within " + timeout.toSeconds() + " s: check --bootstrap", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaException("interrupted while creating topics", e);
    }
  }

  private static void checkMaxMessageBytes(Admin admin, Spec spec, Duration timeout)
      throws ExecutionException, InterruptedException, TimeoutException {
    String wanted = spec.configs().get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
    if (wanted == null) {
      return;
    }
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, spec.name());
    Config config =
        admin
            .describeConfigs(List.of(resource))
            .all()
            .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
            .get(resource);
    ConfigEntry actual = config.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
    if (actual != null && Long.parseLong(actual.value()) < Long.parseLong(wanted)) {
      LOG.warn(
          "Topic {} takes records up to {} bytes, maskstream needs {}: raise it with"
              + " kafka-configs --alter --add-config max.message.bytes={}",
          spec.name(),
          actual.value(),
          wanted,
          wanted);
    }
  }
}
