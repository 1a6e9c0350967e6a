package io.maskstream.sinks.kafka;

import io.maskstream.schemas.Topics;
import io.maskstream.schemas.cli.KafkaRefusals;
import io.maskstream.sinks.SinkConfig;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the Kafka clients of the sinks from a {@link SinkConfig}. Values stay raw bytes in the
 * consumers so that one undecodable record can be sent to the dead-letter topic on its own instead
 * of failing the whole poll.
 */
public final class SinkClients {
  private static final Logger LOG = LoggerFactory.getLogger(SinkClients.class);

  /**
   * How long closing a sink's Kafka client may wait for the broker (offset commit, leaving the
   * group, pending dead letters). With Kafka down a stop would otherwise wait for Kafka's default
   * of 30 s; what could not be committed is read again on the next start.
   */
  public static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(3);

  private SinkClients() {}

  /**
   * A byte-array consumer in the config's group; offsets are committed by the caller only ({@code
   * enable.auto.commit=false}) unless {@code autoCommit}.
   *
   * <p>Its {@link KafkaConsumer#close()} waits at most {@link #CLOSE_TIMEOUT}.
   *
   * <p>The range assignor is forced: it gives one member the same partition number of every
   * subscribed topic, and since all event topics are keyed by camera, a frame's detections and
   * masks (and frame) meet in the same member.
   */
  public static KafkaConsumer<byte[], byte[]> consumer(
      SinkConfig config, String clientId, boolean autoCommit, int maxPollRecords) {
    Map<String, Object> props = new HashMap<>(clientOnly(config.kafka()));
    props.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, autoCommit);
    props.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords);
    props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RangeAssignor.class.getName());
    return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer()) {
      @Override
      public void close() {
        close(CloseOptions.timeout(CLOSE_TIMEOUT));
      }
    };
  }

  /**
   * A byte-array consumer outside any group, for a topic read whole by {@link
   * KafkaConsumer#assign}: it commits nothing, starts where it is told to and never has a topic
   * created by looking it up.
   *
   * <p>Its {@link KafkaConsumer#close()} waits at most {@link #CLOSE_TIMEOUT}.
   */
  public static KafkaConsumer<byte[], byte[]> reader(SinkConfig config, String clientId) {
    Map<String, Object> props = new HashMap<>(clientOnly(config.kafka()));
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    props.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    // looking up a missing topic must not create it (uncompacted) on a broker that auto-creates
    props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer()) {
      @Override
      public void close() {
        close(CloseOptions.timeout(CLOSE_TIMEOUT));
      }
    };
  }

  /** Producer properties from the client properties (without consumer-only keys). */
  static Map<String, Object> producerProperties(Map<String, Object> clientProperties) {
    return new HashMap<>(clientOnly(clientProperties));
  }

  /**
   * Creates the product's topics that are missing (so the dead-letter topic exists); a cluster that
   * refuses (no rights) only gets a warning, since the topics may be managed elsewhere.
   */
  public static void ensureTopics(SinkConfig config) {
    Map<String, Object> props = new HashMap<>(clientOnly(config.kafka()));
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 30_000);
    try (Admin admin = Admin.create(props)) {
      List<String> created =
          Topics.ensure(
              admin,
              Topics.specs(config.topics(), Topics.DEFAULT_PARTITIONS),
              Duration.ofSeconds(60));
      if (!created.isEmpty()) {
        LOG.info("created topics {}", created);
      }
    } catch (KafkaException e) {
      if (KafkaRefusals.isAuthenticationFailure(e)) {
        throw e; // nothing else will work either
      }
      LOG.warn("could not check or create the topics ({}); going on", e.getMessage());
    }
  }

  /** The entries of {@code props} meant for Kafka clients (drops maskstream's own keys). */
  private static Map<String, Object> clientOnly(Map<String, Object> props) {
    Map<String, Object> out = new HashMap<>();
    props.forEach(
        (k, v) -> {
          if (!k.startsWith("maskstream.")) {
            out.put(k, v);
          }
        });
    return out;
  }
}
