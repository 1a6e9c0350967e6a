package io.maskstream.detector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.detector.model.OnnxMaskRcnn;
import io.maskstream.detector.store.ModelSignatures;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.avro.ModelAnnouncement;
import io.maskstream.schemas.avro.ModelServing;
import io.maskstream.schemas.models.ModelRegistry;
import io.maskstream.schemas.models.ModelStore;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Versions, rollback and what detectors serve, through the commands a user runs: two signed
 * versions published, a detector that trusts the key swaps to the second, {@code models} lists both
 * and the detector, {@code rollback} announces the first again with its signature and the detector
 * swaps back; rollbacks that cannot be done are one line each and announce nothing.
 */
class RollbackIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  private static final String NAME = "shapes-torchvision";

  record Run(int exitCode, String out, String err) {}

  @Test
  void aRollbackAnnouncesTheEarlierSignedVersionAndTheDetectorSwapsBack(@TempDir Path dir)
      throws Exception {
    String bootstrap = kafka.bootstrapServers();
    TopicNames topics = DetectorItKit.createTopics(bootstrap, "rollback", 1);
    Properties client = DetectorItKit.client(bootstrap);
    Path clientFile =
        Files.write(dir.resolve("client.properties"), DetectorItKit.topicLines(topics));
    Path keys = dir.resolve("keys");
    assertThat(
            new CommandLine(new KeysCommand())
                .execute("generate", "--out", keys.toString(), "--name", "publisher"))
        .isZero();
    Path key = keys.resolve("publisher.key");
    String keyId = ModelSignatures.keyId(ModelSignatures.readPublic(keys.resolve("publisher.pub")));

    byte[] original = Files.readAllBytes(Fixtures.model());
    Path v1File =
        Files.write(Files.createDirectories(dir.resolve("v1")).resolve(NAME + ".onnx"), original);
    byte[] v2 = HotSwapIT.withMetadata(original, "maskstream.note", "retrained");
    Path v2File =
        Files.write(Files.createDirectories(dir.resolve("v2")).resolve(NAME + ".onnx"), v2);
    String v1 = OnnxMaskRcnn.sha256Hex(original).substring(0, 12);
    String v2Version = OnnxMaskRcnn.sha256Hex(v2).substring(0, 12);

    Run none = run(new RollbackCommand(), clientFile, "--model", NAME);
    assertThat(none.exitCode()).isEqualTo(2);
    assertThat(none.err()).contains("no model " + NAME + " is announced on rollback.models");

    assertThat(
            run(
                    new PublishCommand(),
                    clientFile,
                    "--model",
                    v1File.toString(),
                    "--sign",
                    key.toString())
                .exitCode())
        .isZero();
    Run only = run(new RollbackCommand(), clientFile, "--model", NAME);
    assertThat(only.exitCode()).isEqualTo(2);
    assertThat(only.err())
        .contains(
            NAME + "@" + v1 + " is the only version of " + NAME + " in rollback.models.versions");

    ModelRegistry registry = new ModelRegistry(client, topics.models());
    DetectorConfig config =
        DetectorItKit.config(topics, "detector-rollback", client).toBuilder()
            .trust(ModelSignatures.Trust.load(keys.resolve("publisher.pub")))
            .build();
    String detectorId;
    try (DetectorService service = DetectorService.start(config)) {
      detectorId = service.detectorId();
      awaitServing(registry, detectorId, v1);

      assertThat(
              run(
                      new PublishCommand(),
                      clientFile,
                      "--model",
                      v2File.toString(),
                      "--sign",
                      key.toString())
                  .exitCode())
          .isZero();
      await()
          .atMost(Duration.ofMinutes(2))
          .until(() -> service.segmenter().model().version().equals(v2Version));
      awaitServing(registry, detectorId, v2Version);

      Run models = run(new ModelsCommand(), clientFile);
      assertThat(models.exitCode()).isZero();
      System.out.println(models.out());
      List<String> lines = models.out().lines().toList();
      assertThat(lines.get(0)).startsWith(NAME + ": " + v2Version + " announced ");
      assertThat(lines.get(1)).contains("VERSION", "PUBLISHED", "SIGNED BY", "BOX AP", "MASK AP");
      assertThat(lines.get(2)).startsWith("    " + v1).contains(keyId);
      assertThat(lines.get(3)).startsWith("  * " + v2Version).contains(keyId);
      assertThat(models.out())
          .containsPattern(
              "(?m)^  "
                  + java.util.regex.Pattern.quote(detectorId)
                  + "\\s+detector-rollback\\s+"
                  + v2Version);

      // back to the version before: announced again with its signature, the trusting detector swaps
      Run back = run(new RollbackCommand(), clientFile, "--model", NAME);
      assertThat(back.exitCode()).as(back.err()).isZero();
      assertThat(back.out())
          .contains(NAME + "@" + v1 + " announced again, replacing " + NAME + "@" + v2Version);
      await()
          .atMost(Duration.ofMinutes(2))
          .until(() -> service.segmenter().model().version().equals(v1));
      awaitServing(registry, detectorId, v1);
      ModelAnnouncement announced = registry.announced(NAME).orElseThrow();
      assertThat(announced.getVersion()).isEqualTo(v1);
      assertThat(announced.getSigningKey()).isEqualTo(keyId);
      assertThat(announced.getProvenance()).containsEntry(RollbackCommand.ROLLBACK_FROM, v2Version);
      assertThat(run(new ModelsCommand(), clientFile, "--model", NAME).out().lines())
          .first()
          .asString()
          .contains(v1 + " announced", "a rollback from " + v2Version);

      // nothing older than the oldest; an unknown version; the version announced now
      Run oldest = run(new RollbackCommand(), clientFile, "--model", NAME);
      assertThat(oldest.err()).contains(v1 + " is the oldest version of " + NAME);
      Run unknown = run(new RollbackCommand(), clientFile, "--model", NAME, "--to", "abcdef");
      assertThat(unknown.err())
          .contains(
              NAME
                  + " has no version abcdef in rollback.models.versions (known: "
                  + v1
                  + ", "
                  + v2Version
                  + ")");
      Run same =
          run(new RollbackCommand(), clientFile, "--model", NAME, "--to", v1.substring(0, 6));
      assertThat(same.err()).contains("is the version announced now");
      for (Run r : List.of(oldest, unknown, same)) {
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().lines()).hasSize(1);
      }

      // forward again with --to, by the first digits of the version
      assertThat(
              run(
                      new RollbackCommand(),
                      clientFile,
                      "--model",
                      NAME,
                      "--to",
                      v2Version.substring(0, 5))
                  .exitCode())
          .isZero();
      await()
          .atMost(Duration.ofMinutes(2))
          .until(() -> service.segmenter().model().version().equals(v2Version));

      // a version whose file the store no longer has: refused, nothing announced
      String sha1 = OnnxMaskRcnn.sha256Hex(original);
      List<String> chunkKeys = new ArrayList<>();
      List<byte[]> tombstones = new ArrayList<>();
      for (int i = 0; i < chunks(original.length); i++) {
        chunkKeys.add(sha1 + ":" + i + ":" + chunks(original.length));
        tombstones.add(null);
      }
      TestFrames.send(bootstrap, ModelStore.topicFor(topics.models()), chunkKeys, tombstones);
      Run gone = run(new RollbackCommand(), clientFile, "--model", NAME);
      assertThat(gone.exitCode()).isEqualTo(2);
      assertThat(gone.err().lines()).hasSize(1);
      assertThat(gone.err())
          .contains(
              NAME + "@" + v1 + " cannot be fetched from kafka://rollback.models.store/" + sha1)
          .contains("publish its file again instead");
      assertThat(registry.announced(NAME).orElseThrow().getVersion()).isEqualTo(v2Version);
      Thread.sleep(2000);
      assertThat(service.segmenter().model().version()).isEqualTo(v2Version);
    }
    // a detector that stops cleanly takes its report back
    await().atMost(Duration.ofSeconds(30)).until(() -> !registry.serving().containsKey(detectorId));
  }

  private static int chunks(int bytes) {
    int chunk = 512 * 1024;
    return (bytes + chunk - 1) / chunk;
  }

  private static void awaitServing(ModelRegistry registry, String detectorId, String version) {
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              ModelServing s = registry.serving().get(detectorId);
              return s != null && s.getVersion().equals(version);
            });
  }

  private static Run run(Object command, Path clientFile, String... args) {
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
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(
        List.of("--bootstrap", kafka.bootstrapServers(), "--kafka-config", clientFile.toString()));
    int code = cli.execute(all.toArray(String[]::new));
    return new Run(code, out.toString(), err.toString());
  }
}
