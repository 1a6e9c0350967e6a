package io.maskstream.sinks.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.Masks;
import io.maskstream.sinks.EventSamples;
import io.maskstream.sinks.SinkConfig;
import io.maskstream.sinks.SinkRun;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The live view through real rebalances of its consumer group on the embedded broker: once it holds
 * its partitions, no rebalance makes it skip or repeat a record, whether it keeps its partitions,
 * is behind, or gets back partitions another member read meanwhile.
 */
class WebSinkRebalanceIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  private static final String GROUP = "web-rebalance-it";
  private static final String OTHER_TOPIC = "web-rebalance-it.other";
  private static final int PARTITIONS = 2;
  private static final List<String> EVENT_TOPICS =
      List.of(EventSamples.TOPICS.detections(), EventSamples.TOPICS.masks());
  private static final Duration PATIENCE = Duration.ofMinutes(2);

  private final AvroSerde<Detections> detectionsSerde = new AvroSerde<>(Detections.class);
  private final AvroSerde<Masks> masksSerde = new AvroSerde<>(Masks.class);
  private long sequence;

  @BeforeAll
  static void topics() {
    EventSamples.createTopics(kafka, PARTITIONS);
    kafka.createTopic(EventSamples.TOPICS.zoneEvents(), PARTITIONS);
    kafka.createTopic(OTHER_TOPIC, 1);
  }

  @Test
  void noRebalanceSkipsOrRepeatsRecordsOfPartitionsItHeld() throws Exception {
    SinkConfig config =
        SinkConfig.of(EventSamples.clientProperties(kafka.bootstrapServers()), GROUP, -1);
    WebSink sink = new WebSink(config, SinkConfig.Web.of("127.0.0.1", 0));
    try (KafkaProducer<byte[], byte[]> producer = producer();
        SinkRun run = new SinkRun(sink, "web-rebalance-it")) {
      sink.awaitStarted();
      awaitMembers(1);

      // fewer records than the backlog: all shown, whenever the first assignment happened
      long produced = produce(producer, 10);
      awaitRead(sink, produced);

      // another member joins for another topic: the sink keeps its partitions, a rebalance runs
      long readByPeer = 0;
      try (IdleMember other = new IdleMember()) {
        await().atMost(PATIENCE).until(other::assigned);
        // more than the backlog per partition: seeking near the end again would skip some
        produced += produce(producer, 100);
        awaitRead(sink, produced);

        // a member sharing the topics joins while records arrive, takes half the partitions,
        // reads on and leaves: the sink takes them back from where that member committed
        try (KafkaConsumer<byte[], byte[]> peer = member()) {
          peer.subscribe(
              List.of(EventSamples.TOPICS.frames(), EVENT_TOPICS.get(0), EVENT_TOPICS.get(1)));
          produced += produce(producer, 200);
          long deadline = System.nanoTime() + PATIENCE.toNanos();
          while (System.nanoTime() < deadline && !holdsEventPartitions(peer)) {
            readByPeer += pollAndCommit(peer);
          }
          produced += produce(producer, 100);
          while (System.nanoTime() < deadline && !caughtUp(peer)) {
            readByPeer += pollAndCommit(peer);
          }
          assertThat(caughtUp(peer)).as("the peer held partitions and read them").isTrue();
          assertThat(readByPeer).isPositive();
        }
        produced += produce(producer, 50);
        awaitRead(sink, produced - readByPeer);
      }
      // the idle member left: one more rebalance
      produced += produce(producer, 40);
      awaitRead(sink, produced - readByPeer);
    }
  }

  /** A member of the sink's group subscribed to another topic, polling on its own thread. */
  private static final class IdleMember implements AutoCloseable {
    private final Thread thread;
    private volatile boolean assigned;
    private volatile boolean closing;

    IdleMember() {
      thread =
          new Thread(
              () -> {
                try (KafkaConsumer<byte[], byte[]> c = member()) {
                  c.subscribe(List.of(OTHER_TOPIC));
                  while (!closing) {
                    c.poll(Duration.ofMillis(100));
                    assigned = !c.assignment().isEmpty();
                  }
                }
              },
              "idle-member");
      thread.setDaemon(true);
      thread.start();
    }

    boolean assigned() {
      return assigned;
    }

    @Override
    public void close() throws InterruptedException {
      closing = true;
      thread.join(PATIENCE.toMillis());
    }
  }

  /** Waits until the sink has read exactly {@code n} records and reads no more for a while. */
  private static void awaitRead(WebSink sink, long n) throws InterruptedException {
    await().atMost(PATIENCE).until(() -> read(sink) >= n);
    Thread.sleep(1000);
    assertThat(read(sink)).as("records read: none skipped, none repeated").isEqualTo(n);
  }

  private static long read(WebSink sink) {
    return (long)
        sink.metrics().registry().find("maskstream.sink.records").counters().stream()
            .mapToDouble(Counter::count)
            .sum();
  }

  /** Sends {@code perPartition} detections and masks to every partition of their topics. */
  private long produce(KafkaProducer<byte[], byte[]> producer, int perPartition) {
    long n = 0;
    for (int i = 0; i < perPartition; i++) {
      long seq = sequence++;
      for (int p = 0; p < PARTITIONS; p++) {
        String camera = "cam-" + p;
        String detections = EventSamples.TOPICS.detections();
        String masks = EventSamples.TOPICS.masks();
        Detections d = EventSamples.detections(camera, seq, "v1", 1, "person");
        Masks m = EventSamples.masks(camera, seq, "v1", 1);
        producer.send(
            new ProducerRecord<>(detections, p, null, detectionsSerde.serialize(detections, d)));
        producer.send(new ProducerRecord<>(masks, p, null, masksSerde.serialize(masks, m)));
        n += 2;
      }
    }
    producer.flush();
    return n;
  }

  private static KafkaProducer<byte[], byte[]> producer() {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Another member of the sink's group, committing by hand. */
  private static KafkaConsumer<byte[], byte[]> member() {
    Map<String, Object> p = new HashMap<>();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, GROUP);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RangeAssignor.class.getName());
    return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** Polls {@code peer} once and commits what it read. */
  private static long pollAndCommit(KafkaConsumer<byte[], byte[]> peer) {
    ConsumerRecords<byte[], byte[]> records = peer.poll(Duration.ofMillis(100));
    Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
    for (TopicPartition tp : records.partitions()) {
      var r = records.records(tp);
      next.put(tp, new OffsetAndMetadata(r.get(r.size() - 1).offset() + 1));
    }
    if (!next.isEmpty()) {
      peer.commitSync(next);
    }
    return records.count();
  }

  private static List<TopicPartition> eventPartitions(KafkaConsumer<byte[], byte[]> peer) {
    return peer.assignment().stream().filter(tp -> EVENT_TOPICS.contains(tp.topic())).toList();
  }

  private static boolean holdsEventPartitions(KafkaConsumer<byte[], byte[]> peer) {
    return !eventPartitions(peer).isEmpty();
  }

  /** True once the peer holds event partitions and has read each to its end. */
  private static boolean caughtUp(KafkaConsumer<byte[], byte[]> peer) {
    List<TopicPartition> mine = eventPartitions(peer);
    if (mine.isEmpty()) {
      return false;
    }
    Map<TopicPartition, Long> ends = peer.endOffsets(mine);
    for (TopicPartition tp : mine) {
      if (peer.position(tp) < ends.get(tp)) {
        return false;
      }
    }
    return true;
  }

  private static void awaitMembers(int n) {
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    try (Admin admin = Admin.create(p)) {
      await()
          .atMost(PATIENCE)
          .until(
              () -> {
                ConsumerGroupDescription g;
                try {
                  g = admin.describeConsumerGroups(List.of(GROUP)).all().get().get(GROUP);
                } catch (java.util.concurrent.ExecutionException e) {
                  if (e.getCause()
                      instanceof org.apache.kafka.common.errors.GroupIdNotFoundException) {
                    return false; // the first member has not joined yet
                  }
                  throw e;
                }
                return g.members().size() == n
                    && g.members().stream()
                            .map(MemberDescription::assignment)
                            .mapToInt(a -> a.topicPartitions().size())
                            .sum()
                        == 4 * PARTITIONS; // frames, detections, masks, zone events
              });
    }
  }
}
