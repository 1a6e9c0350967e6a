package io.maskstream.detector;

import io.maskstream.detector.stream.DetectorMetrics;
import io.maskstream.detector.stream.FrameProcessors;
import io.maskstream.schemas.Topics;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executor;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The detector's Kafka Streams topology, as a pure factory: frames topic -> detect (runs the {@link
 * Segmenter}; forwards each frame's typed outcome, its segmentation or its dead letter) -> track
 * (track ids from the cameras' tracks in a changelogged state store, and what the tracked objects
 * did at the cameras' zones and lines, read from a global store of the zones topic; unless tracking
 * is off) -> encode (the outcome as Avro records) -> detections, masks, objects, zone-events and
 * dead-letter topics. Records keep their key (the camera id); the topics' values are Avro, read and
 * written with the product's serdes. The frames source's deserializer starts decoding each image as
 * Kafka Streams reads ahead, so decoding overlaps the model run of the frame before.
 */
public final class DetectorTopology {
  /** Name of the frames source node. */
  public static final String FRAMES_SOURCE = "frames";

  /** Name of the processor node running the model. */
  public static final String DETECT_PROCESSOR = "detect";

  /** Name of the processor node giving detections their track ids. */
  public static final String TRACK_PROCESSOR = "track";

  /** Name of the state store of the cameras' tracks (its changelog topic follows from it). */
  public static final String TRACKS_STORE = "maskstream-tracks";

  /** Name of the state store of the cameras' zone standings and line counts. */
  public static final String ZONE_STATE_STORE = "maskstream-zone-state";

  /** Name of the global store of the cameras' zone definitions (from the zones topic). */
  public static final String ZONES_STORE = "maskstream-zones";

  /** Name of the zones topic's source node. */
  public static final String ZONES_SOURCE = "zones";

  /** Name of the node that keeps the zones topic in {@link #ZONES_STORE}. */
  public static final String ZONES_PROCESSOR = "zones-loader";

  /** Name of the processor node turning frame outcomes into event records. */
  public static final String ENCODE_PROCESSOR = "encode";

  /** Name of the detections sink node. */
  public static final String DETECTIONS_SINK = "detections";

  /** Name of the masks sink node. */
  public static final String MASKS_SINK = "masks";

  /** Name of the objects (lifecycle events) sink node. */
  public static final String OBJECTS_SINK = "objects";

  /** Name of the zone-events sink node. */
  public static final String ZONE_EVENTS_SINK = "zone-events";

  /** Name of the dead-letter sink node. */
  public static final String DEAD_LETTER_SINK = "dead-letters";

  /** Records fetched per poll: inference is slow, so a poll's records must finish in time. */
  static final int MAX_POLL_RECORDS = 8;

  /**
   * Shortest time between two commits the detector asks for, in ms, unless {@code
   * commit.interval.ms} is set: events become visible to read_committed consumers only at a commit,
   * so live frames are committed one by one, sooner than Kafka Streams' exactly-once default of 100
   * ms.
   */
  public static final long MIN_COMMIT_PACE_MS = 20;

  /**
   * Longest time a processed frame waits for its commit, in ms, unless {@code commit.interval.ms}
   * is set. Between the two, the wait is a tenth of the frame's age, so a backlog is committed many
   * frames per transaction.
   */
  public static final long MAX_COMMIT_PACE_MS = 5000;

  /**
   * The stream threads' own commit interval while the processors pace the commits: it only covers
   * the offsets of frames skipped in realtime mode, which have no events waiting.
   */
  static final long IDLE_COMMIT_INTERVAL_MS = 30_000;

  private DetectorTopology() {}

  /**
   * Whether the processors pace the commits: unless the user set {@code commit.interval.ms}, which
   * is then the only pace.
   */
  public static boolean pacesCommits(DetectorConfig config) {
    return config.kafka().getProperty(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG) == null;
  }

  /** The topology with the system clock. */
  public static Topology build(
      DetectorConfig config, Segmenter segmenter, DetectorMetrics metrics, Executor decodeAhead) {
    return build(config, segmenter, metrics, decodeAhead, Clock.systemUTC());
  }

  /**
   * The topology.
   *
   * @param segmenter shared by every task; owned by the caller, who closes it after the streams
   * @param metrics where the frame counters and histograms go
   * @param decodeAhead runs image decoding while the model works on the previous frame (a direct
   *     executor decodes in place); owned by the caller, who shuts it down after the streams
   * @param clock wall clock for frame ages, processed times and latencies
   */
  public static Topology build(
      DetectorConfig config,
      Segmenter segmenter,
      DetectorMetrics metrics,
      Executor decodeAhead,
      Clock clock) {
    Map<String, Object> serdeConfig = new HashMap<>();
    config.kafka().forEach((k, v) -> serdeConfig.put(k.toString(), v));
    Topology topology = new Topology();
    topology.addSource(
        FRAMES_SOURCE,
        new ByteArrayDeserializer(),
        FrameProcessors.deserializer(config, segmenter, decodeAhead, clock, serdeConfig),
        config.topics().frames());
    topology.addProcessor(
        DETECT_PROCESSOR,
        FrameProcessors.supplier(config, segmenter, metrics, clock),
        FRAMES_SOURCE);
    String beforeEncode = DETECT_PROCESSOR;
    if (config.tracker() != null) {
      topology.addProcessor(
          TRACK_PROCESSOR,
          FrameProcessors.tracker(
              config.tracker(),
              metrics,
              TRACKS_STORE,
              ZONE_STATE_STORE,
              ZONES_STORE,
              config.topics().zones(),
              serdeConfig),
          DETECT_PROCESSOR);
      topology.addStateStore(
          Stores.keyValueStoreBuilder(
              Stores.persistentKeyValueStore(TRACKS_STORE), Serdes.String(), Serdes.ByteArray()),
          TRACK_PROCESSOR);
      topology.addStateStore(
          Stores.keyValueStoreBuilder(
              Stores.persistentKeyValueStore(ZONE_STATE_STORE),
              Serdes.String(),
              Serdes.ByteArray()),
          TRACK_PROCESSOR);
      // every instance sees every camera's zones: a global store, restored from the topic itself
      topology.addGlobalStore(
          Stores.keyValueStoreBuilder(
                  Stores.persistentKeyValueStore(ZONES_STORE), Serdes.String(), Serdes.ByteArray())
              .withLoggingDisabled(),
          ZONES_SOURCE,
          new StringDeserializer(),
          new ByteArrayDeserializer(),
          config.topics().zones(),
          ZONES_PROCESSOR,
          FrameProcessors.zonesLoader(ZONES_STORE));
      beforeEncode = TRACK_PROCESSOR;
    }
    topology.addProcessor(
        ENCODE_PROCESSOR, FrameProcessors.encoder(config, serdeConfig), beforeEncode);
    ByteArraySerializer bytes = new ByteArraySerializer();
    topology.addSink(DETECTIONS_SINK, config.topics().detections(), bytes, bytes, ENCODE_PROCESSOR);
    topology.addSink(MASKS_SINK, config.topics().masks(), bytes, bytes, ENCODE_PROCESSOR);
    topology.addSink(OBJECTS_SINK, config.topics().objects(), bytes, bytes, ENCODE_PROCESSOR);
    topology.addSink(
        ZONE_EVENTS_SINK, config.topics().zoneEvents(), bytes, bytes, ENCODE_PROCESSOR);
    topology.addSink(
        DEAD_LETTER_SINK, config.topics().deadLetters(), bytes, bytes, ENCODE_PROCESSOR);
    return topology;
  }

  /**
   * The Kafka Streams properties: the client properties of {@code config}, then the detector's
   * settings unless the client properties set them: exactly-once v2, byte-array serdes, the
   * configured stream threads, commits asked for by the processors (between {@value
   * #MIN_COMMIT_PACE_MS} and {@value #MAX_COMMIT_PACE_MS} ms after a frame), and poll and
   * transaction timeouts sized from the slowest measured inference so that a poll's worth of frames
   * always finishes in time.
   *
   * @param worstCaseMillis the slowest single inference measured (at least the warm-up)
   */
  public static Properties streamsProperties(DetectorConfig config, long worstCaseMillis) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.streamThreads());
    props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
    props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
    // a slow frame must not cost the task: budget ten times the worst inference for every record
    // of a poll, never less than Kafka's default of five minutes
    long pollBudget = Math.max(300_000L, 10L * Math.max(1, worstCaseMillis) * MAX_POLL_RECORDS);
    props.put(
        StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), MAX_POLL_RECORDS);
    props.put(
        StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG),
        (int) Math.min(pollBudget, Integer.MAX_VALUE));
    // the open transaction spans the records processed between commits
    long transactionBudget = Math.max(60_000L, Math.min(pollBudget, 900_000L));
    props.put(
        StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG),
        (int) transactionBudget);
    props.put(
        StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
        Topics.MAX_DEAD_LETTER_BYTES + 64 * 1024);
    props.put(
        StreamsConfig.consumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG),
        Topics.MAX_FRAME_BYTES + 64 * 1024);
    for (String name : config.kafka().stringPropertyNames()) {
      props.put(name, config.kafka().getProperty(name));
    }
    if (pacesCommits(config)) {
      // the idle interval, shorter than the transaction timeout: Kafka Streams refuses a longer one
      long timeout =
          Long.parseLong(
              props
                  .get(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG))
                  .toString());
      props.put(
          StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, Math.min(IDLE_COMMIT_INTERVAL_MS, timeout / 2));
    }
    return props;
  }
}
