package io.maskstream.schemas;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The commands' way with a compacted topic of definitions keyed by id (zones, cameras): write one
 * key and wait for every replica, or read the whole topic to its end offsets without a consumer
 * group. Kafka not answering within {@link #TIMEOUT} is one line that says to check --bootstrap.
 */
public final class CompactedTopic {
  /** How long a command waits for Kafka. */
  public static final Duration TIMEOUT = Duration.ofSeconds(30);

  private CompactedTopic() {}

  /**
   * Writes {@code value} (null: a tombstone) keyed by {@code key} with an idempotent producer and
   * waits until every replica has it.
   *
   * @throws IOException when the write is not confirmed
   */
  public static void write(Properties props, String topic, String key, byte[] value)
      throws IOException {
    Properties p = new Properties();
    p.putAll(props);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) TIMEOUT.toMillis());
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis() * 2);
    KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    try {
      producer
          .send(new ProducerRecord<>(topic, key, value))
          .get(TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS);
      producer.flush();
    } catch (ExecutionException | KafkaException e) {
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw new IOException("cannot write to " + topic + ": " + cause.getMessage(), cause);
    } catch (TimeoutException e) {
      throw new IOException(
          "Kafka did not confirm the write to "
              + topic
              + " within "
              + TIMEOUT.toSeconds() * 2
              + " s: check --bootstrap",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while writing to " + topic, e);
    } finally {
      producer.close(Duration.ofSeconds(5));
    }
  }

  /**
   * Hands every record of {@code topic}, tombstones included, to {@code each} in offset order per
   * partition: the topic read from its beginning to the end offsets it had when the read began,
   * read_committed, without a consumer group. A missing topic has no records; a user who may not
   * read the topic is refused even when it is empty.
   *
   * @throws KafkaException when Kafka does not answer in time or refuses the read
   */
  public static void readAll(
      Properties props, String topic, Consumer<ConsumerRecord<String, byte[]>> each) {
    Properties p = withoutGroup(props, "read_committed");
    p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, TIMEOUT);
      if (infos == null || infos.isEmpty()) {
        return;
      }
      List<TopicPartition> partitions =
          infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, TIMEOUT);
      if (end.equals(consumer.beginningOffsets(partitions, TIMEOUT))) {
        // nothing to fetch, and only a fetch needs the right to read: ask whether this user may,
        // so that one who may not is refused rather than told that there is nothing
        requireRead(props, topic);
      }
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (!reached(consumer, end)) {
        if (System.nanoTime() > deadline) {
          throw new KafkaException(
              "Kafka did not give the records of "
                  + topic
                  + " within "
                  + TIMEOUT.toSeconds()
                  + " s: check --bootstrap");
        }
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          each.accept(r);
        }
      }
    } catch (org.apache.kafka.common.errors.TimeoutException e) {
      throw new KafkaException(
          "Kafka did not answer within " + TIMEOUT.toSeconds() + " s: check --bootstrap", e);
    }
  }

  /**
   * A consumer without a group that follows the single partition of {@code topic} from its
   * beginning, read_committed: a detector's view of a compacted topic it watches for changes. The
   * caller owns (and closes) it.
   */
  public static KafkaConsumer<String, byte[]> follower(Properties props, String topic) {
    KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(
            withoutGroup(props, "read_committed"),
            new StringDeserializer(),
            new ByteArrayDeserializer());
    List<TopicPartition> one = List.of(new TopicPartition(topic, 0));
    consumer.assign(one);
    consumer.seekToBeginning(one);
    return consumer;
  }

  /**
   * Consumer settings for reading partitions by assignment: the client {@code props} without a
   * group, committing nothing, creating no topic, with {@code isolation}.
   */
  public static Properties withoutGroup(Properties props, String isolation) {
    Properties p = new Properties();
    p.putAll(props);
    p.remove(ConsumerConfig.GROUP_ID_CONFIG);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
    return p;
  }

  /**
   * Throws Kafka's refusal when the user of {@code props} may not read {@code topic}, as a fetch
   * would.
   */
  private static void requireRead(Properties props, String topic) {
    try (Admin admin = Admin.create(props)) {
      Set<AclOperation> allowed =
          admin
              .describeTopics(
                  List.of(topic), new DescribeTopicsOptions().includeAuthorizedOperations(true))
              .allTopicNames()
              .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
              .get(topic)
              .authorizedOperations();
      if (allowed != null
          && !allowed.contains(AclOperation.READ)
          && !allowed.contains(AclOperation.ALL)) {
        throw new TopicAuthorizationException(Set.of(topic));
      }
    } catch (ExecutionException e) {
      throw e.getCause() instanceof KafkaException
          ? (KafkaException) e.getCause()
          : new KafkaException(e.getCause());
    } catch (TimeoutException e) {
      throw new KafkaException(
          "Kafka did not answer within " + TIMEOUT.toSeconds() + " s: check --bootstrap", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaException("interrupted while reading " + topic, e);
    }
  }

  private static boolean reached(
      KafkaConsumer<String, byte[]> consumer, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (consumer.position(e.getKey(), TIMEOUT) < e.getValue()) {
        return false;
      }
    }
    return true;
  }
}
