package io.maskstream.detector;

import io.maskstream.detector.model.Device;
import io.maskstream.detector.model.OnnxMaskRcnn;
import io.maskstream.detector.track.TrackerSettings;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.Topics;
import io.maskstream.schemas.avro.FrameRef;
import io.maskstream.schemas.avro.ModelAnnouncement;
import io.maskstream.schemas.avro.ModelContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/**
 * What the detector's broker tests share: topics of their own, frames fed to them, a detector in a
 * JVM of its own that can be killed, and the events a read_committed consumer sees, counted per
 * frame.
 */
public final class DetectorItKit {
  private DetectorItKit() {}

  /** Client properties for {@code bootstrap} and nothing else. */
  public static Properties client(String bootstrap) {
    Properties client = new Properties();
    client.put("bootstrap.servers", bootstrap);
    return client;
  }

  /**
   * Creates {@code PREFIX.frames}, {@code .detections}, {@code .masks}, {@code .models}, {@code
   * .dlq}, {@code .objects}, {@code .zones}, {@code .zone-events}, {@code .cameras}, {@code
   * .camera-status}.
   */
  public static TopicNames createTopics(String bootstrap, String prefix, int partitions)
      throws Exception {
    TopicNames topics = TopicNames.prefixed(prefix);
    try (Admin admin = Admin.create(client(bootstrap))) {
      Topics.ensure(admin, Topics.specs(topics, partitions), Duration.ofSeconds(30));
    }
    return topics;
  }

  /** The {@code maskstream.topic.*} lines that name {@code topics} in a client properties file. */
  static List<String> topicLines(TopicNames topics) {
    return List.of(
        "maskstream.topic.frames=" + topics.frames(),
        "maskstream.topic.detections=" + topics.detections(),
        "maskstream.topic.masks=" + topics.masks(),
        "maskstream.topic.models=" + topics.models(),
        "maskstream.topic.dlq=" + topics.deadLetters(),
        "maskstream.topic.objects=" + topics.objects(),
        "maskstream.topic.zones=" + topics.zones(),
        "maskstream.topic.zone-events=" + topics.zoneEvents());
  }

  /**
   * Writes the {@code --kafka-config} file of a detector process on {@code topics} with its state
   * in {@code stateDir}, whose death the group notices, and whose open transaction is aborted,
   * within seconds.
   */
  static Path processConfig(Path file, TopicNames topics, Path stateDir) throws Exception {
    List<String> lines = new ArrayList<>(topicLines(topics));
    lines.add("state.dir=" + stateDir);
    lines.add("consumer.session.timeout.ms=10000");
    lines.add("producer.transaction.timeout.ms=15000");
    lines.add("");
    return Files.writeString(file, String.join("\n", lines));
  }

  /**
   * The configuration of a detector in this JVM as {@link #startDetector} starts one in its own:
   * the fixture model on the CPU, score threshold 0.1, on {@code topics} with {@code client}.
   */
  static DetectorConfig config(TopicNames topics, String applicationId, Properties client) {
    // a state folder of its own: the tracks' store must not meet another build's on this machine
    Properties kafka = new Properties();
    kafka.putAll(client);
    if (!kafka.containsKey("state.dir")) {
      try {
        kafka.put("state.dir", Files.createTempDirectory("maskstream-streams").toString());
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return DetectorConfig.builder()
        .model(Fixtures.model())
        .device(Device.CPU)
        .scoreThreshold(0.1f)
        .topics(topics)
        .applicationId(applicationId)
        .kafka(kafka)
        .build();
  }

  /**
   * Starts {@code maskstream detect} in its own JVM with the fixture model on the CPU, score
   * threshold 0.1, {@code applicationId}, the given client config file and {@code more} options;
   * its output goes to {@code log}.
   */
  static Process startDetector(
      String bootstrap, String applicationId, Path config, Path log, String... more)
      throws Exception {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(DetectorProcess.class.getName());
    command.addAll(
        List.of(
            "--model", Fixtures.model().toString(), "--device", "cpu", "--score-threshold", "0.1"));
    command.addAll(List.of(more));
    command.addAll(
        List.of(
            "--application-id",
            applicationId,
            "--bootstrap",
            bootstrap,
            "--kafka-config",
            config.toString()));
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }

  /**
   * Sends frames {@code from} to {@code from + n - 1} of the {@code image} JPEG, the even ones from
   * camera {@code gate}, the odd ones from {@code lobby}, waiting for every acknowledgement.
   *
   * @return {@code n}
   */
  static int sendGateAndLobby(String bootstrap, String topic, int from, int n, byte[] image)
      throws Exception {
    List<String> keys = new ArrayList<>();
    List<byte[]> values = new ArrayList<>();
    for (int i = from; i < from + n; i++) {
      String camera = i % 2 == 0 ? "gate" : "lobby";
      keys.add(camera);
      values.add(TestFrames.bytes(TestFrames.frame(camera, i, Instant.now(), image)));
    }
    TestFrames.send(bootstrap, topic, keys, values);
    return n;
  }

  /**
   * An announcement of {@code model} under {@code name} at {@code location}, with the model's own
   * sha256 unless {@code claimedSha} says otherwise; unsigned.
   */
  static ModelAnnouncement.Builder announcement(
      String name, byte[] model, String location, String claimedSha) {
    String sha = claimedSha != null ? claimedSha : OnnxMaskRcnn.sha256Hex(model);
    return ModelAnnouncement.newBuilder()
        .setName(name)
        .setVersion(sha.substring(0, 12))
        .setLocation(location)
        .setSha256(sha)
        .setSizeBytes(model.length)
        .setContract(ModelContract.TORCHVISION)
        .setClasses(List.of())
        .setMetrics(new HashMap<>())
        .setProvenance(new HashMap<>())
        .setPublishedTime(Instant.now());
  }

  /** Writes {@code a} to the models topic, keyed by its name. */
  static void announce(String bootstrap, TopicNames topics, ModelAnnouncement a) throws Exception {
    TestFrames.send(
        bootstrap,
        topics.models(),
        List.of(a.getName()),
        List.of(new AvroSerde<>(ModelAnnouncement.class).serialize(topics.models(), a)));
  }

  /** Tracker settings that track the fixture model's one confident object per frame (0.35). */
  static final TrackerSettings FIXTURE_TRACKING =
      new TrackerSettings(0.2f, 0.1f, 0.8, 30, 2, 0.5, true);

  /** The {@code detect} options of {@link #FIXTURE_TRACKING}. */
  static final String[] FIXTURE_TRACKING_ARGS = {"--track-activation-threshold", "0.2"};

  /**
   * Checks, as a read_committed consumer sees them, that the {@code frames} frames of every camera
   * (all showing the same objects) keep their tracks: once an object has its id, every later frame
   * of its camera shows the same ids - a detector that lost the tracks (a restart, a takeover)
   * would show the object untracked again on its next frame - and each tracked id had exactly one
   * new event.
   */
  static void assertTracksContinue(String bootstrap, TopicNames topics, int frames) {
    Map<String, java.util.TreeMap<Long, java.util.Set<Long>>> idsByFrame = new HashMap<>();
    AvroSerde<io.maskstream.schemas.avro.Detections> serde =
        new AvroSerde<>(io.maskstream.schemas.avro.Detections.class);
    try (KafkaConsumer<String, byte[]> reader =
        TestFrames.committedReader(bootstrap, topics.detections())) {
      int read = 0;
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (read < frames && System.nanoTime() < deadline) {
        for (var d : TestFrames.poll(reader, r -> serde.deserialize(r.topic(), r.value()))) {
          read++;
          java.util.Set<Long> ids = new java.util.TreeSet<>();
          d.getDetections().stream()
              .map(io.maskstream.schemas.avro.Detection::getTrackId)
              .filter(java.util.Objects::nonNull)
              .forEach(ids::add);
          idsByFrame
              .computeIfAbsent(d.getFrame().getCamera(), c -> new java.util.TreeMap<>())
              .put(d.getFrame().getSequence(), ids);
        }
      }
      org.assertj.core.api.Assertions.assertThat(read).as("detections read").isEqualTo(frames);
    }
    java.util.Set<String> tracked = new java.util.TreeSet<>();
    for (var e : idsByFrame.entrySet()) {
      java.util.Set<Long> first = null;
      for (var frame : e.getValue().entrySet()) {
        if (first == null && !frame.getValue().isEmpty()) {
          first = frame.getValue();
        } else if (first != null) {
          org.assertj.core.api.Assertions.assertThat(frame.getValue())
              .as("track ids of camera %s, frame %d", e.getKey(), frame.getKey())
              .isEqualTo(first);
        }
      }
      org.assertj.core.api.Assertions.assertThat(first)
          .as("camera %s tracks its object", e.getKey())
          .isNotNull();
      first.forEach(id -> tracked.add(e.getKey() + "#" + id));
    }
    AvroSerde<io.maskstream.schemas.avro.ObjectEvent> objects =
        new AvroSerde<>(io.maskstream.schemas.avro.ObjectEvent.class);
    Map<String, Integer> news = new java.util.TreeMap<>();
    try (KafkaConsumer<String, byte[]> reader =
        TestFrames.committedReader(bootstrap, topics.objects())) {
      for (int i = 0; i < 10; i++) {
        for (var o : TestFrames.poll(reader, r -> objects.deserialize(r.topic(), r.value()))) {
          if (o.getType() == io.maskstream.schemas.avro.ObjectEventType.NEW) {
            news.merge(o.getCamera() + "#" + o.getTrackId(), 1, Integer::sum);
          }
        }
      }
    }
    org.assertj.core.api.Assertions.assertThat(news.keySet()).isEqualTo(tracked);
    org.assertj.core.api.Assertions.assertThat(news.values())
        .as("new events per track")
        .containsOnly(1);
  }

  /**
   * Events of one topic as a read_committed consumer sees them, counted per frame ({@code
   * camera/sequence}). Owns its consumer until closed.
   */
  static final class EventsPerFrame<T extends SpecificRecord> implements AutoCloseable {
    private final KafkaConsumer<String, byte[]> reader;
    private final AvroSerde<T> serde;
    private final Function<T, FrameRef> frame;
    private final Map<String, Integer> counts = new HashMap<>();

    /** Reads {@code topic} from its beginning; {@code frame} says which frame an event is of. */
    EventsPerFrame(String bootstrap, String topic, Class<T> type, Function<T, FrameRef> frame) {
      this.reader = TestFrames.committedReader(bootstrap, topic);
      this.serde = new AvroSerde<>(type);
      this.frame = frame;
    }

    /** Polls once, counts what arrived; returns the number of events seen so far. */
    int collect() {
      for (T event : TestFrames.poll(reader, r -> serde.deserialize(r.topic(), r.value()))) {
        FrameRef ref = frame.apply(event);
        counts.merge(ref.getCamera() + "/" + ref.getSequence(), 1, Integer::sum);
      }
      return counts.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Events seen per frame, {@code camera/sequence}; live, not a copy. */
    Map<String, Integer> counts() {
      return counts;
    }

    @Override
    public void close() {
      reader.close();
    }
  }
}
