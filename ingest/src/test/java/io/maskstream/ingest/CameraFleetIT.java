package io.maskstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.ingest.IngestItSupport.TopicReader;
import io.maskstream.ingest.cameras.CameraCommand;
import io.maskstream.ingest.cameras.CameraTopic;
import io.maskstream.ingest.cameras.TopicCameras;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.CompactedTopic;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.avro.CameraRunState;
import io.maskstream.schemas.avro.CameraStatus;
import io.maskstream.schemas.avro.Frame;
import io.maskstream.schemas.internal.TrustedClasses;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A fleet of three {@code maskstream ingest} processes (JVMs of their own) shares twelve live
 * cameras, each an MPEG-TS stream over UDP played by Debian's ffmpeg: every camera runs exactly
 * once, a {@code kill -9} moves the killed process's cameras to the others, cameras added, removed
 * and changed with {@code maskstream camera} take effect while the fleet runs, and no camera's
 * frame numbering ever goes back - also not for the cameras that moved.
 */
class CameraFleetIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();
  @TempDir Path dir;

  private static final int CAMERAS = 12;
  private static final int PROCESSES = 3;
  private static final String GROUP = "fleet-ingest";

  /** The processes' logs, kept for a look after a failure. */
  private static final Path LOGS = Path.of("target", "camera-fleet-it");

  /** This run's log names begin with it: a rerun keeps the logs of the run before. */
  private final String run = "run-" + System.currentTimeMillis();

  private Properties props;
  private Path kafkaConfig;
  private TopicNames names;

  private String camera(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new CameraCommand());
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(
        List.of("--bootstrap", kafka.bootstrapServers(), "--kafka-config", kafkaConfig.toString()));
    int exit = cli.execute(all.toArray(String[]::new));
    assertThat(exit).as("camera %s: %s", String.join(" ", args), err).isZero();
    return out.toString();
  }

  private Process ingestProcess(int n) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-Xmx256m");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(IngestProcess.class.getName());
    command.addAll(
        List.of(
            "--group",
            GROUP,
            "--metrics-port",
            "-1",
            "--status-interval",
            "0",
            "--bootstrap",
            kafka.bootstrapServers(),
            "--kafka-config",
            kafkaConfig.toString()));
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(LOGS.resolve(run + "-ingest-" + n + ".log").toFile())
        .start();
  }

  /** The lines of this run's ingest logs that name {@code camera}. */
  private String logLines(String camera) {
    StringBuilder out = new StringBuilder();
    try (var files = Files.list(LOGS)) {
      for (Path log : files.filter(f -> f.getFileName().toString().startsWith(run)).toList()) {
        for (String line : Files.readAllLines(log)) {
          if (line.contains("camera " + camera + ":")) {
            out.append('\n').append(log.getFileName()).append(": ").append(line);
          }
        }
      }
    } catch (IOException e) {
      out.append(" (logs unreadable: ").append(e).append(')');
    }
    return out.toString();
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  /** The newest report per camera in the status topic. */
  private Map<String, CameraStatus> statuses() {
    Map<String, CameraStatus> newest = new TreeMap<>();
    try (AvroSerde<CameraStatus> serde = new AvroSerde<>(CameraStatus.class)) {
      CompactedTopic.readAll(
          props,
          names.cameraStatus(),
          r -> {
            if (r.value() == null) {
              newest.remove(r.key());
            } else {
              newest.put(r.key(), serde.deserialize(r.topic(), r.value()));
            }
          });
    }
    return newest;
  }

  private static long pidOf(CameraStatus status) {
    String owner = status.getOwner();
    return Long.parseLong(owner.substring(owner.lastIndexOf(' ') + 1));
  }

  /** The camera's frames captured after {@code millis}. */
  private static List<Frame> after(List<Frame> frames, long millis) {
    return frames.stream().filter(f -> f.getCaptureTime().toEpochMilli() > millis).toList();
  }

  /**
   * Frames per second of the camera's frames captured in the {@code seconds} before the last 2 s
   * (frames captured since may still be on their way).
   */
  private static double recentRate(TopicReader reader, String id, int seconds) {
    drain(reader);
    long end = System.currentTimeMillis() - 2000;
    long start = end - seconds * 1000L;
    long n =
        reader.frames(id).stream()
            .filter(
                f ->
                    f.getCaptureTime().toEpochMilli() > start
                        && f.getCaptureTime().toEpochMilli() <= end)
            .count();
    return n / (double) seconds;
  }

  /** Reads what the topic holds now (frames keep coming: for at most 3 s). */
  private static void drain(TopicReader reader) {
    long deadline = System.nanoTime() + 3_000_000_000L;
    int before;
    do {
      before = reader.records.size();
      reader.frames("");
    } while (reader.records.size() != before && System.nanoTime() < deadline);
  }

  private static void assertNumberingNeverGoesBack(TopicReader reader, List<String> ids) {
    for (String id : ids) {
      List<Long> sequences = reader.frames(id).stream().map(Frame::getSequence).toList();
      assertThat(sequences).as("%s frame numbers", id).isSorted().doesNotHaveDuplicates();
    }
  }

  @Test
  void threeProcessesRunTwelveCamerasOnceAndTakeOverAKilledOnesCameras() throws Exception {
    TrustedClasses.install();
    Files.createDirectories(LOGS);
    props = new Properties();
    props.put("bootstrap.servers", kafka.bootstrapServers());
    props.put("maskstream.topic.frames", "fleet.frames");
    props.put("maskstream.topic.cameras", "fleet.cameras");
    props.put("maskstream.topic.camera-status", "fleet.camera-status");
    kafkaConfig = dir.resolve("client.properties");
    Files.writeString(
        kafkaConfig,
        "maskstream.topic.frames=fleet.frames\n"
            + "maskstream.topic.cameras=fleet.cameras\n"
            + "maskstream.topic.camera-status=fleet.camera-status\n");
    names = TopicNames.from(props);
    CameraTopic.ensure(props, names);
    Path clip = TestClips.video(dir.resolve("clip.mp4"), 160, 120, 10, 40);

    List<FfmpegSender> streams = new ArrayList<>();
    List<Process> fleet = new ArrayList<>();
    Map<String, Integer> ports = new LinkedHashMap<>();
    try (TopicReader reader = new TopicReader(kafka, "fleet.frames")) {
      for (int i = 0; i <= CAMERAS; i++) {
        String id = "cam-" + i;
        int port = IngestItSupport.freePort();
        ports.put(id, port);
        streams.add(
            FfmpegSender.udp(clip, port, LOGS.resolve(run + "-ffmpeg-" + i + ".log")).start());
      }
      List<String> ids = new ArrayList<>(ports.keySet()).subList(0, CAMERAS);
      for (String id : ids) {
        camera("add", "--camera", id, "--url", "udp://127.0.0.1:" + ports.get(id), "--fps", "5");
      }
      for (int n = 0; n < PROCESSES; n++) {
        fleet.add(ingestProcess(n));
      }
      Set<Long> pids = new HashSet<>();
      fleet.forEach(p -> pids.add(p.pid()));

      // every camera streams, reported by one of the three, and the three share them
      await()
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofSeconds(1))
          .pollInSameThread()
          .untilAsserted(
              () -> {
                Map<String, CameraStatus> now = statuses();
                for (String id : ids) {
                  assertThat(now).as("reports").containsKey(id);
                  assertThat(now.get(id).getState()).as(id).isEqualTo(CameraRunState.STREAMING);
                  assertThat(pids).contains(pidOf(now.get(id)));
                  assertThat(reader.frames(id)).as(id).hasSizeGreaterThan(10);
                }
                Set<Long> owners = new HashSet<>();
                ids.forEach(id -> owners.add(pidOf(now.get(id))));
                assertThat(owners).as("owners").hasSize(PROCESSES);
              });
      // exactly once: each camera at its own rate (a camera run twice would send at twice the rate)
      Thread.sleep(6000);
      for (String id : ids) {
        assertThat(recentRate(reader, id, 5)).as("%s fps", id).isBetween(3.0, 6.5);
      }
      assertNumberingNeverGoesBack(reader, ids);
      String list = camera("list");
      assertThat(list).contains("up: ").contains(" pid ");

      // kill -9 the process with the most cameras: the others take them over
      Map<String, CameraStatus> before = statuses();
      Map<Long, List<String>> byOwner = new HashMap<>();
      ids.forEach(
          id -> byOwner.computeIfAbsent(pidOf(before.get(id)), k -> new ArrayList<>()).add(id));
      long victimPid =
          byOwner.entrySet().stream()
              .max((a, b) -> Integer.compare(a.getValue().size(), b.getValue().size()))
              .orElseThrow()
              .getKey();
      List<String> moved = byOwner.get(victimPid);
      Process victim = fleet.stream().filter(p -> p.pid() == victimPid).findFirst().orElseThrow();
      long killedAt = System.currentTimeMillis();
      victim.destroyForcibly().waitFor();
      Map<String, Long> resumedAt = new HashMap<>();
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200))
          .pollInSameThread()
          .untilAsserted(
              () -> {
                for (String id : moved) {
                  // the killed process grabbed frames until the kill; the next owner's come after
                  // a gap of at least a second
                  List<Frame> later = after(reader.frames(id), killedAt + 1000);
                  assertThat(later).as("%s frames after the kill", id).isNotEmpty();
                  resumedAt.putIfAbsent(id, later.get(0).getCaptureTime().toEpochMilli());
                }
              });
      long slowest = resumedAt.values().stream().mapToLong(t -> t - killedAt).max().orElseThrow();
      long fastest = resumedAt.values().stream().mapToLong(t -> t - killedAt).min().orElseThrow();
      await()
          .atMost(Duration.ofSeconds(20))
          .pollInSameThread()
          .untilAsserted(
              () -> {
                Map<String, CameraStatus> now = statuses();
                for (String id : ids) {
                  assertThat(now.get(id).getState()).as(id).isEqualTo(CameraRunState.STREAMING);
                  assertThat(pidOf(now.get(id))).as("%s owner", id).isNotEqualTo(victimPid);
                }
              });
      Thread.sleep(6000);
      for (String id : ids) {
        assertThat(recentRate(reader, id, 5)).as("%s fps after the move", id).isBetween(3.0, 6.5);
      }
      assertNumberingNeverGoesBack(reader, ids);

      // a camera added while the fleet runs sends within seconds
      String added = "cam-" + CAMERAS;
      long addAt = System.currentTimeMillis();
      camera(
          "add", "--camera", added, "--url", "udp://127.0.0.1:" + ports.get(added), "--fps", "5");
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .pollInSameThread()
          .untilAsserted(
              () ->
                  assertThat(reader.frames(added))
                      .as(
                          () ->
                              added
                                  + " frames; the fleet's lines about it: "
                                  + logLines(added)
                                  + "\nits ffmpeg sender's log ends: "
                                  + tail(LOGS.resolve(run + "-ffmpeg-" + CAMERAS + ".log")))
                      .isNotEmpty());
      long addMillis = reader.frames(added).get(0).getCaptureTime().toEpochMilli() - addAt;

      // a removed camera stops, and its report goes
      String removed = ids.get(0);
      long removeAt = System.currentTimeMillis();
      camera("remove", "--camera", removed);
      await()
          .atMost(Duration.ofSeconds(20))
          .pollInSameThread()
          .untilAsserted(() -> assertThat(statuses()).doesNotContainKey(removed));
      long removeMillis = System.currentTimeMillis() - removeAt;
      drain(reader);
      int countAtRemoval = reader.frames(removed).size();
      Thread.sleep(4000);
      drain(reader);
      assertThat(reader.frames(removed)).hasSize(countAtRemoval);
      assertThat(after(reader.frames(removed), removeAt + 5000)).isEmpty();

      // a new rate restarts that camera only, at the new rate
      String slower = ids.get(1);
      long updateAt = System.currentTimeMillis();
      camera("update", "--camera", slower, "--fps", "2");
      Thread.sleep(9000);
      drain(reader);
      long windowEnd = updateAt + 9000;
      List<Frame> since =
          after(reader.frames(slower), updateAt + 3000).stream()
              .filter(f -> f.getCaptureTime().toEpochMilli() <= windowEnd)
              .toList();
      assertThat(since.size() / 6.0).as("%s fps after update", slower).isBetween(1.3, 2.7);
      assertNumberingNeverGoesBack(reader, new ArrayList<>(ports.keySet()));

      System.out.printf(
          "camera fleet: %d processes, %d cameras; after kill -9 of the process running %d of"
              + " them, they sent again after %.1f-%.1f s (session.timeout.ms %d); an added camera"
              + " sent after %.1f s; a removed one stopped (its report gone) after %.1f s%n",
          PROCESSES,
          CAMERAS,
          moved.size(),
          fastest / 1e3,
          slowest / 1e3,
          TopicCameras.DEFAULT_SESSION_TIMEOUT_MS,
          addMillis / 1e3,
          removeMillis / 1e3);
      assertThat(slowest).as("move time").isLessThan(30_000);
    } finally {
      for (Process p : fleet) {
        p.destroyForcibly();
      }
      for (FfmpegSender s : streams) {
        s.close();
      }
    }
  }
}
