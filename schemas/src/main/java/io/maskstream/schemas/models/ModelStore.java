package io.maskstream.schemas.models;

import io.maskstream.schemas.cli.KafkaRefusals;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Model files kept in Kafka so that any detector can fetch them with nothing but Kafka access: a
 * compacted single-partition topic of chunks keyed {@code SHA256:INDEX:COUNT}, located by {@code
 * kafka://TOPIC/SHA256}. Also fetches {@code file://} and {@code http(s)://} locations. Stateless;
 * each call creates and closes its own clients.
 */
public final class ModelStore {
  /** Chunk size, below Kafka's default 1 MB record limit. */
  static final int CHUNK_BYTES = 512 * 1024;

  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final Properties kafka;
  private final String topic;

  /**
   * A store on {@code topic}.
   *
   * @param kafka client properties (copied)
   */
  public ModelStore(Properties kafka, String topic) {
    this.kafka = new Properties();
    this.kafka.putAll(kafka);
    this.topic = topic;
  }

  /** The store topic of a models topic: {@code MODELS.store}. */
  public static String topicFor(String modelsTopic) {
    return modelsTopic + ".store";
  }

  /** Hex sha256 of some bytes: a model file's identity in the store and in announcements. */
  public static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JDK", e);
    }
  }

  /**
   * Uploads a model file's bytes (idempotent: chunks of the same content replace each other under
   * compaction) and returns its location.
   *
   * @throws IOException when Kafka refuses or does not answer
   */
  public String put(byte[] model) throws IOException {
    String sha = sha256Hex(model);
    ensureTopic();
    Properties p = new Properties();
    p.putAll(kafka);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, CHUNK_BYTES + 64 * 1024);
    p.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) TIMEOUT.toMillis() / 2);
    int count = Math.max(1, (model.length + CHUNK_BYTES - 1) / CHUNK_BYTES);
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < count; i++) {
        int from = i * CHUNK_BYTES;
        byte[] chunk =
            java.util.Arrays.copyOfRange(model, from, Math.min(model.length, from + CHUNK_BYTES));
        producer.send(new ProducerRecord<>(topic, 0, sha + ":" + i + ":" + count, chunk));
      }
      producer.flush();
    } catch (org.apache.kafka.common.KafkaException e) {
      throw new IOException("cannot store the model on " + topic + ": " + e.getMessage(), e);
    }
    return "kafka://" + topic + "/" + sha;
  }

  /**
   * Fetches the bytes at a location: {@code kafka://TOPIC/SHA256}, {@code file:///path} or {@code
   * http(s)://...}. The caller verifies the sha256.
   *
   * @throws IOException when the location is unknown, unreachable or incomplete
   */
  public byte[] fetch(String location) throws IOException {
    URI uri;
    try {
      uri = URI.create(location);
    } catch (IllegalArgumentException e) {
      throw new IOException("bad model location '" + location + "'", e);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme();
    switch (scheme) {
      case "kafka":
        return fetchFromKafka(uri.getHost(), uri.getPath().replaceFirst("^/", ""));
      case "file":
        return Files.readAllBytes(Path.of(uri));
      case "http", "https":
        try {
          HttpResponse<byte[]> r =
              HttpClient.newBuilder()
                  .connectTimeout(Duration.ofSeconds(20))
                  .followRedirects(HttpClient.Redirect.NORMAL)
                  .build()
                  .send(
                      HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(5)).build(),
                      HttpResponse.BodyHandlers.ofByteArray());
          if (r.statusCode() != 200) {
            throw new IOException("GET " + location + " answered " + r.statusCode());
          }
          return r.body();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted fetching " + location, e);
        }
      default:
        throw new IOException(
            "unsupported model location '" + location + "': use kafka://, file:// or http(s)://");
    }
  }

  private byte[] fetchFromKafka(String storeTopic, String sha) throws IOException {
    Properties p = new Properties();
    p.putAll(kafka);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 2 * CHUNK_BYTES);
    p.remove(ConsumerConfig.GROUP_ID_CONFIG);
    TreeMap<Integer, byte[]> chunks = new TreeMap<>();
    int count = -1;
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(storeTopic, 0);
      List<TopicPartition> tps = List.of(tp);
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      long end = consumer.endOffsets(tps, TIMEOUT).get(tp);
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (consumer.position(tp, TIMEOUT) < end) {
        if (System.nanoTime() > deadline) {
          throw new IOException("reading " + storeTopic + " timed out");
        }
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          String[] parts = r.key() == null ? new String[0] : r.key().split(":");
          if (parts.length == 3 && parts[0].equals(sha)) {
            if (r.value() == null) {
              // a tombstone: the chunk was deleted
              chunks.remove(Integer.parseInt(parts[1]));
            } else {
              chunks.put(Integer.parseInt(parts[1]), r.value());
              count = Integer.parseInt(parts[2]);
            }
          }
        }
      }
    } catch (org.apache.kafka.common.KafkaException | NumberFormatException e) {
      throw new IOException("cannot read the model store " + storeTopic + ": " + e.getMessage(), e);
    }
    if (count < 0 || chunks.size() != count) {
      throw new IOException(
          "model "
              + sha
              + " is not complete in "
              + storeTopic
              + " ("
              + chunks.size()
              + " of "
              + Math.max(count, 0)
              + " chunks)");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Map.Entry<Integer, byte[]> e : chunks.entrySet()) {
      out.writeBytes(e.getValue());
    }
    return out.toByteArray();
  }

  private void ensureTopic() throws IOException {
    try (Admin admin = Admin.create(kafka)) {
      try {
        admin
            .createTopics(
                List.of(
                    new NewTopic(topic, java.util.Optional.of(1), java.util.Optional.empty())
                        .configs(
                            Map.of(
                                TopicConfig.CLEANUP_POLICY_CONFIG,
                                TopicConfig.CLEANUP_POLICY_COMPACT,
                                TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                                Integer.toString(2 * CHUNK_BYTES)))))
            .all()
            .get(TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw new IOException(
              "cannot create " + topic + ": " + e.getCause().getMessage(),
              KafkaRefusals.namingTopic(e.getCause(), topic));
        }
      } catch (java.util.concurrent.TimeoutException e) {
        throw new IOException("Kafka did not answer creating " + topic, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }
  }
}
