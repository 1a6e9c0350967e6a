package io.maskstream.detector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.detector.model.OnnxMaskRcnn;
import io.maskstream.detector.shadow.ShadowTotals;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.ModelAnnouncement;
import io.maskstream.schemas.avro.ShadowCandidate;
import io.maskstream.schemas.avro.ShadowReport;
import io.maskstream.schemas.avro.ShadowState;
import io.maskstream.schemas.models.ModelFile;
import io.maskstream.schemas.models.ModelRegistry;
import io.maskstream.schemas.models.ModelStore;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Shadow mode through the commands a user runs: a detector serves A while frames flow; {@code
 * shadow start} sets candidate B beside it and the detector runs B on a sample of the frames
 * without emitting B's events (every event names A), reporting agreement as metrics and on the
 * reports topic, which {@code shadow show} sums; {@code shadow discard} stops it; {@code shadow
 * promote} publishes B and the detector swaps with no frame lost. Bad candidates are one line each
 * and leave A serving; a candidate the detector itself refuses is reported, never run.
 */
class ShadowIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  private static final String NAME = "shapes-torchvision";

  record Run(int exitCode, String out, String err) {}

  @Test
  void aCandidateRunsBesideTheServingModelAndIsDiscardedOrPromoted(@TempDir Path dir)
      throws Exception {
    String bootstrap = kafka.bootstrapServers();
    TopicNames topics = DetectorItKit.createTopics(bootstrap, "shadow", 2);
    Properties client = DetectorItKit.client(bootstrap);
    Path clientFile =
        Files.write(dir.resolve("client.properties"), DetectorItKit.topicLines(topics));
    byte[] a = Files.readAllBytes(Fixtures.model());
    String aVersion = OnnxMaskRcnn.sha256Hex(a).substring(0, 12);
    // the same weights as A: every detection must match its twin with mask IoU 1
    byte[] b = HotSwapIT.withMetadata(a, "maskstream.note", "candidate");
    String bVersion = OnnxMaskRcnn.sha256Hex(b).substring(0, 12);
    Path bFile = Files.write(dir.resolve("candidate.onnx"), b);
    Path otherClasses =
        Files.write(
            dir.resolve("other-classes.onnx"),
            HotSwapIT.withMetadata(a, ModelFile.CLASSES_KEY, "[\"__background__\",\"cell\"]"));
    Path zoo = Fixtures.path("shapes-zoo.onnx");
    ModelRegistry registry = new ModelRegistry(client, topics.models());

    Run unknown = run(new ShadowCommand.Start(), clientFile, "--model", NAME, "--candidate", bFile);
    assertThat(unknown.err())
        .isEqualTo(
            "start: no model "
                + NAME
                + " is announced on shadow.models: nothing to shadow ('maskstream models' lists"
                + " the models)\n");
    Path aFile = Files.write(Files.createDirectories(dir.resolve("a")).resolve(NAME + ".onnx"), a);
    assertThat(run(new PublishCommand(), clientFile, "--model", aFile.toString()).exitCode())
        .isZero();
    Run nobody = run(new ShadowCommand.Start(), clientFile, "--model", NAME, "--candidate", bFile);
    assertThat(nobody.err()).contains("no running detector serves " + NAME);

    DetectorConfig config = DetectorItKit.config(topics, "detector-shadow", client);
    AvroSerde<Detections> serde = new AvroSerde<>(Detections.class);
    byte[] jpeg = TestFrames.jpeg("image2.png");
    List<Detections> seen = new ArrayList<>();
    int frames = 0;
    try (DetectorService service = DetectorService.start(config);
        KafkaConsumer<String, byte[]> reader =
            TestFrames.committedReader(bootstrap, topics.detections())) {
      String detector = service.detectorId();
      await().atMost(Duration.ofSeconds(30)).until(() -> registry.serving().containsKey(detector));

      // bad candidates: one line each, nothing shadowed
      Run contract =
          run(new ShadowCommand.Start(), clientFile, "--model", NAME, "--candidate", zoo);
      assertThat(contract.err())
          .contains("follows the onnx-zoo contract, " + NAME + "@" + aVersion + " the torchvision");
      Run classes =
          run(new ShadowCommand.Start(), clientFile, "--model", NAME, "--candidate", otherClasses);
      assertThat(classes.err()).contains("knows the classes [__background__, cell]");
      Run noVersion =
          run(
              new ShadowCommand.Start(),
              clientFile,
              "--model",
              NAME,
              "--candidate",
              NAME + "@ffffff");
      assertThat(noVersion.err())
          .contains(NAME + " has no version ffffff in shadow.models.versions");
      Run missing =
          run(
              new ShadowCommand.Start(),
              clientFile,
              "--model",
              NAME,
              "--candidate",
              dir.resolve("nope.onnx"));
      assertThat(missing.err()).contains("does not exist: give a .onnx file or NAME@VERSION");
      for (Run r : List.of(unknown, nobody, contract, classes, noVersion, missing)) {
        System.out.print(r.err());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().lines()).hasSize(1);
      }
      assertThat(registry.shadowCandidates()).isEmpty();

      // a candidate whose file is not what it claims: the detector refuses it and says so
      ModelStore store = registry.store();
      ModelAnnouncement forged =
          DetectorItKit.announcement(NAME, b, store.put(a), OnnxMaskRcnn.sha256Hex(b))
              .setPublishedTime(Instant.now())
              .build();
      registry.shadow(
          ShadowCandidate.newBuilder()
              .setModel(NAME)
              .setCandidate(forged)
              .setSample(1.0)
              .setStartedTime(Instant.now())
              .build());
      String forgedKey = ModelRegistry.shadowReportKey(NAME, bVersion, detector);
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(500))
          .until(
              () -> {
                ShadowReport r = registry.shadowReports().get(forgedKey);
                return r != null && r.getState() == ShadowState.REFUSED;
              });
      assertThat(registry.shadowReports().get(forgedKey).getReason()).contains("sha256");
      assertThat(run(new ShadowCommand.Discard(), clientFile, "--model", NAME).exitCode()).isZero();

      // the real candidate, on half of the frames
      Run start =
          run(
              new ShadowCommand.Start(),
              clientFile,
              "--model",
              NAME,
              "--candidate",
              bFile,
              "--sample",
              "0.5");
      assertThat(start.exitCode()).as(start.err()).isZero();
      assertThat(start.out())
          .startsWith(
              NAME
                  + "@"
                  + bVersion
                  + " runs beside "
                  + NAME
                  + "@"
                  + aVersion
                  + " on 50% of the frames of 1 detector(s)");
      String key = ModelRegistry.shadowReportKey(NAME, bVersion, detector);
      int sent = 0;
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (true) {
        sent += send(topics, sent, jpeg);
        ShadowReport r = registry.shadowReports().get(key);
        if (r != null && r.getState() == ShadowState.RUNNING && r.getFramesCompared() >= 2) {
          break;
        }
        assertThat(System.nanoTime()).as("a report with compared frames").isLessThan(deadline);
        Thread.sleep(1000);
      }
      frames = sent;
      String metrics = service.scrape();
      assertThat(metrics)
          .containsPattern(
              "maskstream_detector_shadow_frames_total\\{candidate=\""
                  + bVersion
                  + "\",model=\""
                  + NAME
                  + "\",result=\"compared\"} [1-9]")
          .contains("maskstream_detector_shadow_mask_iou_count{candidate=\"" + bVersion);

      Run show = run(new ShadowCommand.Show(), clientFile, "--model", NAME);
      System.out.println(show.out());
      assertThat(show.exitCode()).isZero();
      List<String> lines = show.out().lines().toList();
      assertThat(lines.get(0))
          .startsWith(
              NAME + ": candidate " + bVersion + " beside " + aVersion + ", shadowing since")
          .endsWith("on 50% of the frames, 1 detector(s) reporting");
      assertThat(lines.get(1)).contains("FRAMES", "MATCHED", "MASK IOU", "SCORE SHIFT");
      ShadowTotals totals = ShadowTotals.of(registry.shadowReports().get(key));
      assertThat(totals.compared()).isPositive();
      assertThat(totals.serving()).isPositive();
      // the same weights: every detection matched to its twin, masks identical, scores equal
      assertThat(totals.matched()).isEqualTo(totals.serving()).isEqualTo(totals.candidate());
      assertThat(totals.meanMaskIou()).isEqualTo(1.0);
      assertThat(totals.meanScoreShift()).isEqualTo(0.0);
      assertThat(lines.get(2).trim().split("\\s+")).contains("1.000", "+0.000");

      // discard: the detector stops shadowing and closes the candidate
      Run discard = run(new ShadowCommand.Discard(), clientFile, "--model", NAME);
      assertThat(discard.out()).contains("the shadow of " + NAME + "@" + bVersion + " ended");
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> registry.shadowReports().get(key).getState() == ShadowState.STOPPED);
      assertThat(service.scrape()).doesNotContain("maskstream_detector_shadow_frames_total");
      Run none = run(new ShadowCommand.Discard(), clientFile, "--model", NAME);
      System.out.print(none.err());
      assertThat(none.err()).contains("no candidate runs beside " + NAME + ": nothing to discard");

      // shadowed again, then promoted: published through publish, the detector swaps to it
      assertThat(
              run(new ShadowCommand.Start(), clientFile, "--model", NAME, "--candidate", bFile)
                  .exitCode())
          .isZero();
      frames += send(topics, frames, jpeg);
      Run promote = run(new ShadowCommand.Promote(), clientFile, "--model", NAME);
      assertThat(promote.exitCode()).as(promote.err()).isZero();
      assertThat(promote.out()).contains(NAME + "@" + bVersion + " promoted");
      assertThat(registry.announced(NAME).orElseThrow().getVersion()).isEqualTo(bVersion);
      assertThat(registry.shadowCandidates()).isEmpty();
      for (int round = 0; round < 2; round++) {
        frames += send(topics, frames, jpeg);
        Thread.sleep(500);
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> service.segmenter().model().version().equals(bVersion));
      frames += send(topics, frames, jpeg);
      int expected = frames;
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                seen.addAll(TestFrames.poll(reader, r -> serde.deserialize(r.topic(), r.value())));
                return seen.size() >= expected;
              });

      // a published version whose file the store no longer has cannot be a candidate
      String shaA = OnnxMaskRcnn.sha256Hex(a);
      List<String> chunkKeys = new ArrayList<>();
      List<byte[]> tombstones = new ArrayList<>();
      int chunks = (a.length + 512 * 1024 - 1) / (512 * 1024);
      for (int i = 0; i < chunks; i++) {
        chunkKeys.add(shaA + ":" + i + ":" + chunks);
        tombstones.add(null);
      }
      TestFrames.send(bootstrap, ModelStore.topicFor(topics.models()), chunkKeys, tombstones);
      Run gone =
          run(
              new ShadowCommand.Start(),
              clientFile,
              "--model",
              NAME,
              "--candidate",
              NAME + "@" + aVersion.substring(0, 8));
      System.out.print(gone.err());
      assertThat(gone.exitCode()).isEqualTo(2);
      assertThat(gone.err().lines()).hasSize(1);
      assertThat(gone.err()).contains(NAME + "@" + aVersion + " cannot be fetched from");
      assertThat(service.segmenter().model().version()).isEqualTo(bVersion);
    }

    // every event names the model serving, never the candidate while it was shadowed: A until
    // the promotion, then B, one switch per camera and no frame lost
    assertThat(seen).hasSize(frames);
    Map<String, List<String>> versions = new LinkedHashMap<>();
    seen.sort(
        Comparator.comparing((Detections d) -> d.getFrame().getCamera())
            .thenComparing(d -> d.getFrame().getSequence()));
    for (Detections d : seen) {
      versions
          .computeIfAbsent(d.getFrame().getCamera(), c -> new ArrayList<>())
          .add(d.getModel().getVersion());
    }
    for (List<String> v : versions.values()) {
      int switches = 0;
      for (int i = 1; i < v.size(); i++) {
        if (!v.get(i).equals(v.get(i - 1))) {
          switches++;
        }
      }
      assertThat(v.get(0)).isEqualTo(aVersion);
      assertThat(v.get(v.size() - 1)).isEqualTo(bVersion);
      assertThat(switches).isEqualTo(1);
    }
  }

  private static int send(TopicNames topics, int from, byte[] jpeg) throws Exception {
    return DetectorItKit.sendGateAndLobby(kafka.bootstrapServers(), topics.frames(), from, 4, jpeg);
  }

  private static Run run(Object command, Path clientFile, Object... args) {
    CommandLine cli = new CommandLine(command);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    cli.setExecutionExceptionHandler(
        (e, c, parsed) -> {
          c.getErr().println(c.getCommandName() + ": " + e.getMessage());
          return e instanceof io.maskstream.schemas.cli.UserException ? 2 : 1;
        });
    List<String> all = new ArrayList<>();
    for (Object a : args) {
      all.add(a.toString());
    }
    all.addAll(
        List.of("--bootstrap", kafka.bootstrapServers(), "--kafka-config", clientFile.toString()));
    int code = cli.execute(all.toArray(String[]::new));
    return new Run(code, out.toString(), err.toString());
  }
}
