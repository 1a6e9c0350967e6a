package io.maskstream.detector;

import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.detector.gate.ModelGate;
import io.maskstream.detector.model.OnnxMaskRcnn;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.avro.GateFigures;
import io.maskstream.schemas.avro.GateResult;
import io.maskstream.schemas.avro.ModelAnnouncement;
import io.maskstream.schemas.cli.UserException;
import io.maskstream.schemas.models.ModelRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code publish --gate} with figures set by the test (the real measurement is {@code
 * CocoModelGateTest}'s and {@code RetrainLoopIT}'s): the first version passes with nothing to
 * compare, a worse one is refused and nothing is stored or announced, {@code --force} publishes it
 * and says so in the announcement, and a model of another contract is refused in one line before
 * anything is measured.
 */
class GatedPublishIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  private static final String NAME = "shapes";

  /** Box and mask AP the fake measurement gives each version. */
  private final Map<String, double[]> figures = new ConcurrentHashMap<>();

  private final List<String> measured = new ArrayList<>();

  private final ModelGate gate =
      (data, entries) -> {
        List<GateFigures> out = new ArrayList<>();
        for (ModelGate.Entry e : entries) {
          measured.add(e.role());
          double[] f = figures.get(e.model().identity().version());
          out.add(GateFigures.newBuilder().setBoxAp(f[0]).setMaskAp(f[1]).build());
        }
        return new ModelGate.Evaluation(7, out, List.of("bicycle"));
      };

  record Run(int exitCode, String out, String err) {}

  @Test
  void theGatePublishesOnlyWhatIsNotWorseAndSaysWhyInTheAnnouncement(@TempDir Path dir)
      throws Exception {
    TopicNames topics = DetectorItKit.createTopics(kafka.bootstrapServers(), "gated", 1);
    Path clientFile =
        Files.write(dir.resolve("client.properties"), DetectorItKit.topicLines(topics));
    Path data = Files.createDirectories(dir.resolve("val"));
    ModelRegistry registry =
        new ModelRegistry(DetectorItKit.client(kafka.bootstrapServers()), topics.models());
    byte[] original = Files.readAllBytes(Fixtures.model());
    byte[] worse = HotSwapIT.withMetadata(original, "maskstream.note", "worse");
    Path v1 =
        Files.write(Files.createDirectories(dir.resolve("v1")).resolve("shapes.onnx"), original);
    Path v2 = Files.write(Files.createDirectories(dir.resolve("v2")).resolve("shapes.onnx"), worse);
    String v1Version = OnnxMaskRcnn.sha256Hex(original).substring(0, 12);
    String v2Version = OnnxMaskRcnn.sha256Hex(worse).substring(0, 12);
    figures.put(v1Version, new double[] {0.30, 0.25});
    figures.put(v2Version, new double[] {0.31, 0.20});

    Run first = publish(clientFile, "--model", v1.toString(), "--gate", data.toString());
    assertThat(first.exitCode()).as(first.err()).isZero();
    assertThat(first.out())
        .contains("no version of shapes is announced, so there is nothing to compare")
        .contains("not evaluated (no model knows them): bicycle")
        .contains("passed: the first version of shapes (box AP 0.300, mask AP 0.250)");
    GateResult firstGate = registry.announced(NAME).orElseThrow().getGate();
    assertThat(firstGate.getPassed()).isTrue();
    assertThat(firstGate.getServing()).isNull();
    assertThat(firstGate.getImages()).isEqualTo(7);
    assertThat(firstGate.getData()).isEqualTo(data.toAbsolutePath().normalize().toString());

    // mask AP 0.05 lower, the margin 0.01: refused, nothing stored, recorded or announced
    measured.clear();
    Run refused = publish(clientFile, "--model", v2.toString(), "--gate", data.toString());
    assertThat(refused.exitCode()).isEqualTo(1);
    assertThat(measured)
        .containsExactly("the announced shapes@" + v1Version, "the model shapes@" + v2Version);
    assertThat(refused.out())
        .contains("candidate shapes@" + v2Version + " against shapes@" + v1Version);
    assertThat(refused.err().lines())
        .containsExactly(
            "publish: refused by the gate: mask AP 0.200 is 0.050 lower than shapes@"
                + v1Version
                + ", beyond the margin 0.010: nothing published (--force publishes it anyway)");
    assertThat(registry.announced(NAME).orElseThrow().getVersion()).isEqualTo(v1Version);
    assertThat(registry.versions(NAME)).extracting(a -> a.getVersion()).containsExactly(v1Version);

    // a wider margin lets it through; so does --force, which the announcement records
    Run forced =
        publish(clientFile, "--model", v2.toString(), "--gate", data.toString(), "--force");
    assertThat(forced.exitCode()).as(forced.err()).isZero();
    assertThat(forced.out())
        .contains("refused by the gate but published with --force: mask AP 0.200 is 0.050 lower");
    ModelAnnouncement announced = registry.announced(NAME).orElseThrow();
    assertThat(announced.getVersion()).isEqualTo(v2Version);
    assertThat(announced.getGate().getPassed()).isFalse();
    assertThat(announced.getGate().getForced()).isTrue();
    assertThat(announced.getGate().getServingVersion()).isEqualTo(v1Version);
    assertThat(announced.getGate().getServing().getMaskAp()).isEqualTo(0.25);
    assertThat(announced.getGate().getCandidate().getMaskAp()).isEqualTo(0.20);
    Run models = run(new ModelsCommand(), clientFile);
    assertThat(models.out())
        .containsPattern(
            "0\\.310\\s+0\\.200\\s+gate \\S+ \\(7 images, against "
                + v1Version
                + ", refused, published with --force\\)");
    Run wide =
        publish(
            clientFile,
            "--model",
            v1.toString(),
            "--gate",
            data.toString(),
            "--gate-margin",
            "0.06");
    assertThat(wide.exitCode()).as(wide.err()).isZero();
    assertThat(wide.out())
        .contains("passed: box AP -0.010, mask AP +0.050 against shapes@" + v2Version);

    // a model of another contract, or options that do not go together: one line, nothing announced
    Path zoo = Files.copy(Fixtures.path("shapes-zoo.onnx"), dir.resolve("zoo.onnx"));
    measured.clear();
    Run contract =
        publish(clientFile, "--model", zoo.toString(), "--name", NAME, "--gate", data.toString());
    assertThat(contract.exitCode()).isEqualTo(2);
    assertThat(contract.err().lines())
        .containsExactly(
            "publish: refused: the model follows the onnx-zoo contract (input and outputs), shapes@"
                + v1Version
                + " announced now the torchvision contract: publish it under another --name;"
                + " nothing was published");
    assertThat(measured).isEmpty();
    Run lonelyForce = publish(clientFile, "--model", v1.toString(), "--force");
    assertThat(lonelyForce.err()).contains("--force goes with --gate");
    Run margin =
        publish(
            clientFile, "--model", v1.toString(), "--gate", data.toString(), "--gate-margin", "-1");
    assertThat(margin.err()).contains("--gate-margin must be between 0 and 1");
    Run noEvaluator =
        run(new PublishCommand(), clientFile, "--model", v1.toString(), "--gate", data.toString());
    assertThat(noEvaluator.err()).contains("--gate needs the maskstream command's evaluator");
    for (Run r : List.of(lonelyForce, margin, noEvaluator)) {
      assertThat(r.exitCode()).isEqualTo(2);
    }
    assertThat(registry.announced(NAME).orElseThrow().getVersion()).isEqualTo(v1Version);
    assertThat(registry.versions(NAME))
        .extracting(a -> a.getVersion())
        .containsExactly(v2Version, v1Version);
  }

  private Run publish(Path clientFile, String... args) {
    return run(new PublishCommand(gate), clientFile, args);
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
          return e instanceof UserException ? 2 : 1;
        });
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(
        List.of("--bootstrap", kafka.bootstrapServers(), "--kafka-config", clientFile.toString()));
    int code = cli.execute(all.toArray(String[]::new));
    return new Run(code, out.toString(), err.toString());
  }
}
