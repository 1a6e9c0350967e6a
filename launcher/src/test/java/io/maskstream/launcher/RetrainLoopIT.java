package io.maskstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.detector.DetectorConfig;
import io.maskstream.detector.DetectorService;
import io.maskstream.detector.model.Device;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.avro.ModelAnnouncement;
import io.maskstream.schemas.avro.ModelServing;
import io.maskstream.schemas.models.ModelFile;
import io.maskstream.schemas.models.ModelRegistry;
import io.maskstream.schemas.models.ModelStore;
import io.maskstream.trainer.shapes.ShapesConfig;
import io.maskstream.trainer.shapes.ShapesGenerator;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guarded retrain loop through the {@code maskstream} command with real models and a detector
 * serving them: two models trained for a few iterations and the bundled model, published under one
 * name through the gate on generated held-out shapes. The first version passes with nothing to
 * compare, the bundled model passes against it, a briefly trained one is refused against the
 * bundled model and then forced, and {@code rollback --to} the first version brings the detector
 * back to it.
 */
class RetrainLoopIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  private static final String NAME = "shapes";

  @Test
  void publishThroughTheGateRefuseTheWorseModelAndRollBack(@TempDir Path dir) throws Exception {
    ShapesGenerator shapes = new ShapesGenerator(ShapesConfig.defaults());
    Path train = dir.resolve("train");
    Path val = dir.resolve("val");
    shapes.writeDataset(train, 8, 1);
    shapes.writeDataset(val, 8, 2);
    Path v1File = trainBriefly(train, dir.resolve("v1.onnx"), 1);
    Path v3File = trainBriefly(train, dir.resolve("v3.onnx"), 3);
    Path v2File = dir.resolve("shapes-tiny.onnx");
    try (InputStream in = RetrainLoopIT.class.getResourceAsStream(DemoCommand.BUNDLED_MODEL)) {
      Files.copy(in, v2File);
    }
    String v1 = version(v1File);
    String v2 = version(v2File);
    String v3 = version(v3File);
    ModelRegistry registry = new ModelRegistry(client(), TopicNames.DEFAULTS.models());

    CommandRun first = run("publish", "--model", v1File.toString(), "--gate", val.toString());
    assertThat(first.exitCode()).as(first.err()).isZero();
    assertThat(first.out()).contains("passed: the first version of shapes");

    Properties detectorProps = client();
    detectorProps.put("state.dir", dir.resolve("streams").toString());
    DetectorConfig config =
        DetectorConfig.builder()
            .model(v1File)
            .device(Device.CPU)
            .kafka(detectorProps)
            .applicationId("retrain-it")
            .build();
    try (DetectorService detector = DetectorService.start(config)) {
      // the bundled model is better than one trained for two iterations: it passes
      CommandRun better =
          run("publish", "--model", v2File.toString(), "--name", NAME, "--gate", val.toString());
      assertThat(better.exitCode()).as(better.err()).isZero();
      System.out.println(better.out());
      assertThat(better.out())
          .contains("candidate shapes@" + v2 + " against shapes@" + v1 + " announced now")
          .contains("passed: box AP +");
      awaitServing(detector, registry, v2);
      ModelAnnouncement announced = registry.announced(NAME).orElseThrow();
      assertThat(announced.getGate().getCandidate().getBoxAp())
          .isGreaterThan(announced.getGate().getServing().getBoxAp() + 0.01);
      assertThat(announced.getGate().getCandidate().getClasses()).hasSize(6);

      // another briefly trained model is worse than the bundled one: refused, nothing changes
      CommandRun worse = run("publish", "--model", v3File.toString(), "--gate", val.toString());
      System.out.println(worse.out());
      assertThat(worse.exitCode()).isEqualTo(1);
      assertThat(worse.err().lines())
          .singleElement()
          .asString()
          .startsWith("maskstream publish: refused by the gate: box AP ")
          .contains("lower than shapes@" + v2 + ", beyond the margin 0.010")
          .endsWith("nothing published (--force publishes it anyway)");
      assertThat(registry.announced(NAME).orElseThrow().getVersion()).isEqualTo(v2);
      assertThat(registry.versions(NAME)).extracting(a -> a.getVersion()).containsExactly(v1, v2);

      CommandRun forced =
          run("publish", "--model", v3File.toString(), "--gate", val.toString(), "--force");
      assertThat(forced.exitCode()).as(forced.err()).isZero();
      awaitServing(detector, registry, v3);
      assertThat(registry.announced(NAME).orElseThrow().getGate().getForced()).isTrue();

      // back to the first version: the detector swaps back to it
      CommandRun back = run("rollback", "--model", NAME, "--to", v1);
      assertThat(back.exitCode()).as(back.err()).isZero();
      awaitServing(detector, registry, v1);

      CommandRun models = run("models");
      System.out.println(models.out());
      List<String> lines = models.out().lines().toList();
      assertThat(lines.get(0))
          .startsWith(NAME + ": " + v1 + " announced")
          .contains("a rollback from " + v3);
      assertThat(lines.get(2)).startsWith("  * " + v1).contains("gate " + val.toAbsolutePath());
      assertThat(lines.get(3)).startsWith("    " + v2).contains("against " + v1 + ")");
      assertThat(lines.get(4)).contains("refused, published with --force");
      assertThat(models.out())
          .containsPattern(
              "(?m)^  "
                  + java.util.regex.Pattern.quote(detector.detectorId())
                  + "\\s+retrain-it\\s+"
                  + v1);
      assertThat(lines.get(2)).as("trained here: published with its weights").contains(" yes ");
      assertThat(lines.get(3))
          .as("the bundled model has no weights beside it")
          .doesNotContain(" yes ");
    }

    // fine-tune from what serves: the weights published with the version announced now
    Path v4File = dir.resolve("v4.onnx");
    CommandRun fineTune =
        run(
            "train",
            "--data",
            train.toString(),
            "--out",
            v4File.toString(),
            "--init",
            NAME,
            "--iterations",
            "1",
            "--batch-size",
            "2");
    assertThat(fineTune.exitCode()).as(fineTune.err()).isZero();
    assertThat(metadata(v4File))
        .containsEntry(
            ModelFile.INIT_KEY, NAME + "@" + v1 + " (announced now) from the model store");
    CommandRun noWeights =
        run(
            "train",
            "--data",
            train.toString(),
            "--out",
            dir.resolve("v5.onnx").toString(),
            "--init",
            NAME + "@" + v2.substring(0, 6),
            "--iterations",
            "1");
    assertThat(noWeights.exitCode()).isEqualTo(2);
    assertThat(noWeights.err().lines())
        .singleElement()
        .asString()
        .contains(NAME + "@" + v2 + " was published without its training weights");
  }

  private static java.util.Map<String, String> metadata(Path onnx) throws Exception {
    java.util.Map<String, String> out = new java.util.HashMap<>();
    for (ai.onnx.proto.OnnxMl.StringStringEntryProto e :
        ai.onnx.proto.OnnxMl.ModelProto.parseFrom(Files.readAllBytes(onnx))
            .getMetadataPropsList()) {
      out.put(e.getKey(), e.getValue());
    }
    return out;
  }

  private static Path trainBriefly(Path data, Path out, long seed) {
    int exit =
        Maskstream.execute(
            "train",
            "--data",
            data.toString(),
            "--out",
            out.toString(),
            "--name",
            NAME,
            "--iterations",
            "2",
            "--batch-size",
            "2",
            "--seed",
            Long.toString(seed));
    assertThat(exit).as("train " + out).isZero();
    return out;
  }

  private static String version(Path model) throws Exception {
    return ModelStore.sha256Hex(Files.readAllBytes(model)).substring(0, 12);
  }

  private static void awaitServing(DetectorService detector, ModelRegistry registry, String v) {
    await()
        .atMost(Duration.ofMinutes(2))
        .until(() -> detector.segmenter().model().version().equals(v));
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              ModelServing s = registry.serving().get(detector.detectorId());
              return s != null && s.getVersion().equals(v) && s.getModel().equals(NAME);
            });
  }

  private static Properties client() {
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    return p;
  }

  private static CommandRun run(String... args) {
    return CommandRun.on(kafka.bootstrapServers(), args);
  }
}
