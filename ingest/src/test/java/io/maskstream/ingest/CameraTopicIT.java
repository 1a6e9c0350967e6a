package io.maskstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.ingest.IngestItSupport.TopicReader;
import io.maskstream.ingest.cameras.CameraCommand;
import io.maskstream.ingest.cameras.CameraTopic;
import io.maskstream.ingest.cameras.TopicCameras;
import io.maskstream.ingest.publish.KafkaFrameSender;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.avro.Camera;
import io.maskstream.schemas.avro.Frame;
import io.maskstream.schemas.cli.UserException;
import io.maskstream.schemas.internal.TrustedClasses;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Two ingest services, each with its own consumer in one group, share the cameras of the cameras
 * topic: every camera runs once, a leaving service's cameras move to the other, {@code camera add}
 * makes frames appear and {@code camera remove} stops them.
 */
class CameraTopicIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();
  @TempDir Path dir;

  private static final String GROUP = "it-ingest";

  private Properties props;
  private Path kafkaConfig;

  /** Runs {@code maskstream camera ARGS} against the test broker; returns exit code and output. */
  private String camera(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = execute(out, err, args);
    assertThat(exit).as("camera %s: %s", String.join(" ", args), err).isZero();
    return out.toString();
  }

  /**
   * Runs {@code maskstream camera ARGS}, which must refuse; returns its one-line error (the last
   * line: the ones before report skipped records of the topic).
   */
  private String refused(String... args) {
    StringWriter err = new StringWriter();
    assertThat(execute(new StringWriter(), err, args)).isEqualTo(2);
    List<String> lines = err.toString().strip().lines().toList();
    return lines.get(lines.size() - 1);
  }

  private int execute(StringWriter out, StringWriter err, String... args) {
    CommandLine cli = new CommandLine(new CameraCommand());
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    // as the maskstream launcher does: a UserException is one line and exit 2
    cli.setExecutionExceptionHandler(
        (e, line, parsed) -> {
          if (e instanceof UserException) {
            line.getErr().println(e.getMessage());
            return 2;
          }
          throw e;
        });
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(
        List.of("--bootstrap", kafka.bootstrapServers(), "--kafka-config", kafkaConfig.toString()));
    return cli.execute(all.toArray(String[]::new));
  }

  private Path folder(String name) throws Exception {
    Path folder = Files.createDirectories(dir.resolve(name));
    return TestClips.images(folder, 320, 240, 10);
  }

  private record Member(IngestService service, TopicCameras cameras) implements AutoCloseable {
    @Override
    public void close() {
      cameras.close();
      service.close();
    }
  }

  private Member member(TopicNames names) {
    return member(names, GROUP);
  }

  private Member member(TopicNames names, String group) {
    IngestService service =
        IngestService.startDynamic(
            new IngestConfig(List.of(), -1, Duration.ZERO, 4),
            new KafkaFrameSender(props, names.frames()),
            timeout -> {});
    return new Member(service, TopicCameras.start(service, props, names, group));
  }

  /** {@code n} camera ids that the default partitioner puts on {@code n} different partitions. */
  private static List<String> onePerPartition(String prefix, int n) {
    List<String> ids = new ArrayList<>();
    Set<Integer> taken = new HashSet<>();
    for (int i = 0; ids.size() < n; i++) {
      String id = prefix + i;
      int partition = Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8))) % n;
      if (taken.add(partition)) {
        ids.add(id);
      }
    }
    return ids;
  }

  /** The median time between the frames' capture times, in milliseconds. */
  private static long medianInterval(List<Frame> frames) {
    List<Long> gaps = new ArrayList<>();
    for (int i = 1; i < frames.size(); i++) {
      gaps.add(
          frames.get(i).getCaptureTime().toEpochMilli()
              - frames.get(i - 1).getCaptureTime().toEpochMilli());
    }
    gaps.sort(null);
    return gaps.get(gaps.size() / 2);
  }

  /** The frames captured after {@code millis}. */
  private static List<Frame> capturedAfter(List<Frame> frames, long millis) {
    return frames.stream().filter(f -> f.getCaptureTime().toEpochMilli() > millis).toList();
  }

  /**
   * The restarts of each camera once the group is settled: every camera has sent within the last
   * second and no camera started again for 2 s.
   */
  private static Map<String, Integer> settledRestarts(TopicReader reader, List<String> ids)
      throws InterruptedException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    Map<String, Integer> previous = Map.of();
    while (System.nanoTime() < deadline) {
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInSameThread()
          .untilAsserted(
              () -> {
                long now = System.currentTimeMillis();
                for (String id : ids) {
                  List<Frame> frames = reader.frames(id);
                  assertThat(frames).as(id).isNotEmpty();
                  assertThat(frames.get(frames.size() - 1).getCaptureTime().toEpochMilli())
                      .as("%s sends", id)
                      .isGreaterThan(now - 1000);
                }
              });
      Map<String, Integer> now = new HashMap<>();
      for (String id : ids) {
        now.put(id, restarts(reader.frames(id)));
      }
      if (now.equals(previous)) {
        return now;
      }
      previous = now;
      Thread.sleep(2000);
    }
    throw new AssertionError("cameras kept starting again: " + previous);
  }

  /** How many times the camera's numbering goes back (it must not, not even when it moves). */
  private static int restarts(List<Frame> frames) {
    int restarts = 0;
    for (int i = 1; i < frames.size(); i++) {
      if (frames.get(i).getSequence() <= frames.get(i - 1).getSequence()) {
        restarts++;
      }
    }
    return restarts;
  }

  @Test
  void twoProcessesShareTheCamerasAndTakeOverEachOthers() throws Exception {
    props = new Properties();
    props.put("bootstrap.servers", kafka.bootstrapServers());
    props.put("maskstream.topic.frames", "ct.frames");
    props.put("maskstream.topic.cameras", "ct.cameras");
    kafkaConfig = dir.resolve("client.properties");
    Files.writeString(
        kafkaConfig, "maskstream.topic.frames=ct.frames\nmaskstream.topic.cameras=ct.cameras\n");
    TopicNames names = TopicNames.from(props);
    CameraTopic.ensure(props, names);

    List<String> all = onePerPartition("cam-", 4);
    List<String> first = all.subList(0, 3);
    for (String id : first) {
      assertThat(
              camera("add", "--camera", id, "--url", folder(id).toString(), "--fps", "5", "--loop"))
          .startsWith("camera " + id + " added to ct.cameras");
    }
    // another client writes a value that is no camera: ingest logs it once and goes on
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
      producer
          .send(
              new ProducerRecord<>(
                  "ct.cameras", "junk", "not avro".getBytes(StandardCharsets.UTF_8)))
          .get();
    }
    // and a definition that breaks the rules
    TrustedClasses.install();
    CameraTopic.write(
        props,
        "ct.cameras",
        "fps-zero",
        Camera.newBuilder()
            .setId("fps-zero")
            .setUrl(folder("fps-zero").toString())
            .setFps(0)
            .setUpdatedAt(Instant.now())
            .build());
    assertThat(camera("list")).contains(first).contains("enabled").doesNotContain("junk");
    assertThat(refused("add", "--camera", first.get(0), "--url", "/data/x.mp4"))
        .isEqualTo(
            "camera "
                + first.get(0)
                + " exists already: change it with 'maskstream camera update'");
    assertThat(refused("update", "--camera", "nowhere", "--fps", "2"))
        .isEqualTo(
            "camera nowhere is not defined in ct.cameras: add it with 'maskstream camera add'");

    try (LogCapture logs = new LogCapture();
        TopicReader reader = new TopicReader(kafka, "ct.frames");
        Member a = member(names);
        Member b = member(names)) {
      // every camera runs, on exactly one of the two
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInSameThread()
          .untilAsserted(
              () -> {
                Set<String> union = new HashSet<>(a.service().runningCameras());
                union.addAll(b.service().runningCameras());
                assertThat(union).containsExactlyInAnyOrderElementsOf(first);
                assertThat(
                        a.service().runningCameras().size() + b.service().runningCameras().size())
                    .isEqualTo(first.size());
                for (String id : first) {
                  assertThat(reader.frames(id)).hasSizeGreaterThan(5);
                }
              });
      // once by each process that reads its partition
      assertThat(logs.matching("not a Camera")).hasSizeBetween(1, 2);
      assertThat(logs.matching("camera fps-zero: fps must be in (0, 1000], got 0.0"))
          .hasSizeBetween(1, 2);

      // settled: at most one move each while the second process joined
      Map<String, Integer> settled = settledRestarts(reader, first);
      assertThat(settled.values()).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(1));

      // a camera added while both run starts on one of them
      long addStart = System.nanoTime();
      String added = all.get(3);
      camera("add", "--camera", added, "--url", folder(added).toString(), "--fps", "5", "--loop");
      await()
          .atMost(Duration.ofSeconds(20))
          .pollInSameThread()
          .untilAsserted(() -> assertThat(reader.frames(added)).isNotEmpty());
      double addSeconds = (System.nanoTime() - addStart) / 1e9;
      // one camera per partition, two partitions per process
      assertThat(a.service().runningCameras()).hasSize(2);
      assertThat(b.service().runningCameras()).hasSize(2);
      Map<String, Integer> baseline = settledRestarts(reader, all);
      assertThat(baseline).containsEntry(added, 0);
      for (String id : first) {
        assertThat(baseline.get(id)).as("%s restarted", id).isEqualTo(settled.get(id));
      }

      // the service with the most cameras leaves: the other takes them over
      Member leaving =
          a.service().runningCameras().size() >= b.service().runningCameras().size() ? a : b;
      Member staying = leaving == a ? b : a;
      List<String> moved = leaving.service().runningCameras();
      Map<String, Integer> before = new HashMap<>();
      for (String id : moved) {
        before.put(id, reader.frames(id).size());
      }
      long leaveStart = System.nanoTime();
      leaving.close();
      long leftAt = System.currentTimeMillis();
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInSameThread()
          .untilAsserted(
              () -> {
                assertThat(staying.service().runningCameras())
                    .containsExactlyInAnyOrderElementsOf(all);
                for (String id : moved) {
                  assertThat(capturedAfter(reader.frames(id), leftAt))
                      .as("%s moved", id)
                      .isNotEmpty();
                }
              });
      double moveSeconds = (System.nanoTime() - leaveStart) / 1e9;
      // the new owner numbers on: no camera's numbering went back, moved or not
      for (String id : all) {
        assertThat(restarts(reader.frames(id))).as("%s numbering", id).isZero();
      }

      // a removed camera stops sending
      String removed = all.get(0);
      long removeStart = System.nanoTime();
      assertThat(camera("remove", "--camera", removed))
          .startsWith("camera " + removed + " removed");
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> !staying.service().runningCameras().contains(removed));
      double removeSeconds = (System.nanoTime() - removeStart) / 1e9;
      long stoppedMillis = System.currentTimeMillis();
      // read until nothing more comes: frames grabbed before the stop may still arrive
      List<Frame> last = reader.frames(removed);
      long quietSince = System.nanoTime();
      long readDeadline = quietSince + 15_000_000_000L;
      while (System.nanoTime() - quietSince < 3_000_000_000L && System.nanoTime() < readDeadline) {
        List<Frame> now = reader.frames(removed);
        if (now.size() != last.size()) {
          last = now;
          quietSince = System.nanoTime();
        }
      }
      assertThat(System.nanoTime() - quietSince)
          .as("no frame of %s for 3 s", removed)
          .isGreaterThanOrEqualTo(3_000_000_000L);
      // the last frames were grabbed while the camera stopped, not later
      assertThat(last.get(last.size() - 1).getCaptureTime().toEpochMilli())
          .isLessThanOrEqualTo(stoppedMillis + 1000);

      // a new fps restarts the camera at the new rate
      String faster = all.get(1);
      assertThat(medianInterval(reader.frames(faster))).isBetween(180L, 220L);
      long updatedAt = System.currentTimeMillis();
      camera("update", "--camera", faster, "--fps", "10");
      await()
          .atMost(Duration.ofSeconds(20))
          .pollInSameThread()
          .untilAsserted(
              () ->
                  assertThat(capturedAfter(reader.frames(faster), updatedAt + 1000))
                      .hasSizeGreaterThan(15));
      assertThat(medianInterval(capturedAfter(reader.frames(faster), updatedAt + 1000)))
          .isBetween(80L, 120L);
      assertThat(restarts(reader.frames(faster))).isZero();
      assertThat(reader.frames(all.get(2)).size())
          .isGreaterThan(before.getOrDefault(all.get(2), 0));
      assertThat(camera("list")).doesNotContain(removed);

      System.out.printf(
          "cameras topic: %s moved in %.1f s after their process left; an added camera sent"
              + " its first frame after %.1f s; a removed one stopped after %.1f s%n",
          moved, moveSeconds, addSeconds, removeSeconds);
    }
  }

  @Test
  void ingestWithoutCamerasRunsThoseOfTheTopic() throws Exception {
    props = new Properties();
    props.put("bootstrap.servers", kafka.bootstrapServers());
    kafkaConfig = dir.resolve("client.properties");
    Files.writeString(
        kafkaConfig, "maskstream.topic.frames=cmd.frames\nmaskstream.topic.cameras=cmd.cameras\n");
    IngestCommand command = new IngestCommand();
    int[] exit = {-1};
    Thread ingest =
        new Thread(
            () ->
                exit[0] =
                    new CommandLine(command)
                        .execute(
                            "--metrics-port",
                            "-1",
                            "--group",
                            "cmd-ingest",
                            "--bootstrap",
                            kafka.bootstrapServers(),
                            "--kafka-config",
                            kafkaConfig.toString()));
    ingest.start();
    try {
      camera(
          "add", "--camera", "lobby", "--url", folder("lobby").toString(), "--fps", "5", "--loop");
      // camera add created the topics, the frames topic among them
      try (TopicReader reader = new TopicReader(kafka, "cmd.frames")) {
        await()
            .atMost(Duration.ofSeconds(30))
            .pollInSameThread()
            .untilAsserted(() -> assertThat(reader.frames("lobby")).hasSizeGreaterThan(3));
      }
      assertThat(camera("show", "--camera", "lobby")).contains("fps: 5").contains("loop: true");
    } finally {
      command.stop();
      ingest.join(30_000);
    }
    assertThat(exit[0]).isZero();
  }
}
