package io.maskstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.schemas.cli.KafkaOptions;
import io.maskstream.schemas.cli.UserException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line's surface: commands, help, and one-line errors with exit code 2. */
class MaskstreamTest {
  /** Every command of the product contract. */
  static final List<String> PRODUCT_COMMANDS =
      List.of(
          "demo",
          "broker",
          "ingest",
          "camera",
          "detect",
          "zones",
          "sink",
          "capture",
          "infer",
          "eval",
          "track-eval",
          "train",
          "publish",
          "models",
          "rollback",
          "shadow",
          "shapes");

  static CommandRun run(String... args) {
    return CommandRun.of(args);
  }

  @Test
  void helpListsEveryProductCommand() {
    CommandRun run = run("--help");
    assertThat(run.exitCode()).isZero();
    for (String command : PRODUCT_COMMANDS) {
      assertThat(run.out()).containsPattern("(?m)^\\s+" + command + "\\s");
    }
  }

  @Test
  void everyCommandHasHelp() {
    for (String command : PRODUCT_COMMANDS) {
      CommandRun run = run(command, "--help");
      assertThat(run.exitCode()).as(command).isZero();
      assertThat(run.out()).as(command).contains("Usage: maskstream " + command);
    }
    for (String sink : List.of("web", "postgres", "jsonl")) {
      assertThat(run("sink", sink, "--help").out()).contains("Usage: maskstream sink " + sink);
    }
  }

  @Test
  void kafkaCommandsTakeBootstrapAndKafkaConfig() {
    for (String command :
        List.of("ingest", "detect", "publish", "models", "rollback", "shadow", "capture")) {
      assertThat(run(command, "--help").out()).contains("--bootstrap").contains("--kafka-config");
    }
    assertThat(run("sink", "web", "--help").out()).contains("--bootstrap");
    for (String shadow : List.of("start", "show", "promote", "discard")) {
      assertThat(run("shadow", shadow, "--help").out())
          .contains("--bootstrap")
          .contains("--kafka-config");
    }
    for (String camera : List.of("add", "update", "remove", "list", "show")) {
      assertThat(run("camera", camera, "--help").out())
          .contains("--bootstrap")
          .contains("--kafka-config");
    }
    for (String zones : List.of("set", "show", "remove")) {
      assertThat(run("zones", zones, "--help").out())
          .contains("--bootstrap")
          .contains("--kafka-config");
    }
  }

  @Test
  void unknownOptionIsOneLineAndExitTwo() {
    CommandRun run = run("broker", "--bogus");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err().strip())
        .doesNotContain("\n")
        .contains("maskstream broker: Unknown option");
  }

  @Test
  void missingCommandAndBadValuesAreOneLine() {
    CommandRun none = run();
    assertThat(none.exitCode()).isEqualTo(2);
    assertThat(none.err().strip())
        .isEqualTo("maskstream: a command is required (see 'maskstream --help')");

    CommandRun badPort = run("broker", "--port", "eighty");
    assertThat(badPort.exitCode()).isEqualTo(2);
    assertThat(badPort.err().strip()).doesNotContain("\n").contains("eighty");

    CommandRun badPreset = run("train", "--data", "d", "--out", "m.onnx", "--preset", "huge");
    assertThat(badPreset.exitCode()).isEqualTo(2);
    assertThat(badPreset.err()).contains("unknown preset 'huge': use tiny, r18-fpn or r50-fpn");

    CommandRun twoInputs =
        run("infer", "--model", "m", "--images", "a", "--video", "v", "--out", "o");
    assertThat(twoInputs.exitCode()).isEqualTo(2);
    assertThat(twoInputs.err().strip()).doesNotContain("\n");
  }

  @Test
  void cameraAddRefusesBadDefinitionsInOneLine() {
    CommandRun badId = run("camera", "add", "--camera", "gate 1", "--url", "rtsp://cam/s1");
    assertThat(badId.exitCode()).isEqualTo(2);
    assertThat(badId.err().strip())
        .isEqualTo(
            "maskstream camera add: --camera 'gate 1': use 1-64 characters from A-Z a-z 0-9 . _ -");
    CommandRun fps =
        run("camera", "add", "--camera", "gate", "--url", "rtsp://cam/s1", "--fps", "0");
    assertThat(fps.exitCode()).isEqualTo(2);
    assertThat(fps.err().strip())
        .isEqualTo("maskstream camera add: camera gate: fps must be in (0, 1000], got 0.0");
    CommandRun url = run("camera", "add", "--camera", "gate", "--url", "rtsp://viewer:pw@[cam/s1");
    assertThat(url.exitCode()).isEqualTo(2);
    assertThat(url.err().strip())
        .doesNotContain("\n")
        .startsWith(
            "maskstream camera add: camera gate: url 'rtsp://viewer:***@[cam/s1' is not a valid URL")
        .doesNotContain("pw@");
    CommandRun noUrl = run("camera", "add", "--camera", "gate");
    assertThat(noUrl.exitCode()).isEqualTo(2);
    assertThat(noUrl.err().strip())
        .isEqualTo(
            "maskstream camera add: --url is missing: give the camera's stream URL, device or path");
  }

  @Test
  void zonesRefuseABadCameraOrFileInOneLine(@TempDir Path dir) throws Exception {
    CommandRun badCamera = run("zones", "set", "--camera", "gate 1", "--file", "zones.yaml");
    assertThat(badCamera.exitCode()).isEqualTo(2);
    assertThat(badCamera.err().strip())
        .isEqualTo(
            "maskstream zones set: --camera 'gate 1': use 1-64 characters from A-Z a-z 0-9 . _ -");

    Path file = Files.writeString(dir.resolve("zones.yaml"), "zones:\n  - name: dock\n");
    CommandRun badFile = run("zones", "set", "--camera", "gate-1", "--file", file.toString());
    assertThat(badFile.exitCode()).isEqualTo(2);
    assertThat(badFile.err().strip())
        .isEqualTo(
            "maskstream zones set: "
                + file
                + ": zone \"dock\": 'polygon' is missing: give its corners [[x, y], ...]");
  }

  @Test
  void theWebViewOnAnotherHostThanLoopbackNeedsCredentials() {
    for (String command : List.of("demo", "sink web")) {
      String[] words = command.split(" ");
      String[] args = new String[words.length + 2];
      System.arraycopy(words, 0, args, 0, words.length);
      args[words.length] = "--host";
      args[words.length + 1] = "0.0.0.0";
      CommandRun run = run(args);
      assertThat(run.exitCode()).as(command).isEqualTo(2);
      assertThat(run.err().strip())
          .as(command)
          .doesNotContain("\n")
          .startsWith("maskstream " + command + ": --host 0.0.0.0 can be reached from other")
          .contains("--auth-file FILE", "--token-file FILE", "--allow-unauthenticated");
    }
    assertThat(run("demo", "--help").out()).contains("--host", "--auth-file", "--token-file");
    assertThat(run("sink", "web", "--help").out())
        .contains("--host", "--auth-file", "--token-file", "--allow-unauthenticated");
  }

  @Test
  void brokerRefusesBadNumbersBeforeStarting() {
    CommandRun run = run("broker", "--port", "70000");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err().strip())
        .isEqualTo("maskstream broker: --port must be 0..65535, got 70000");
  }

  @Test
  void trainRefusesBadInputInOneLine(@TempDir Path dir) {
    CommandRun noBudget = run("train", "--data", dir.toString(), "--out", "m.onnx");
    assertThat(noBudget.exitCode()).isEqualTo(2);
    assertThat(noBudget.err().strip())
        .doesNotContain("\n")
        .contains("(--minutes=N | --iterations=N)");

    CommandRun noData =
        run(
            "train",
            "--data",
            dir.resolve("nothing").toString(),
            "--out",
            "m.onnx",
            "--iterations",
            "5");
    assertThat(noData.exitCode()).isEqualTo(2);
    assertThat(noData.err().strip())
        .isEqualTo(
            "maskstream train: --data "
                + dir.resolve("nothing")
                + " is not a folder: give a COCO dataset folder");

    CommandRun notADataset =
        run("train", "--data", dir.toString(), "--out", "m.onnx", "--iterations", "5");
    assertThat(notADataset.exitCode()).isEqualTo(2);
    assertThat(notADataset.err().strip()).doesNotContain("\n").contains("no annotations.json");
  }

  @Test
  void trackEvalRefusesBadFilesInOneLine(@TempDir Path dir) throws Exception {
    Path gt = dir.resolve("gt.txt");
    Files.writeString(gt, "1,1,10,10,40,80,1,-1,-1,-1\n");
    Path results = dir.resolve("results.txt");
    Files.writeString(results, "1,1,10,10,40,80\n0,1,10,10,40,80\n");
    CommandRun run = run("track-eval", "--gt", gt.toString(), "--results", results.toString());
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err().strip())
        .isEqualTo(
            "maskstream track-eval: " + results + ":2: frame must be a whole number from 1, got 0");

    Files.writeString(results, "1,7,10,10,40,80\n");
    CommandRun ok = run("track-eval", "--gt", gt.toString(), "--results", results.toString());
    assertThat(ok.exitCode()).isZero();
    assertThat(ok.out()).contains("HOTA").contains("100");
  }

  @Test
  void kafkaConfigFileIsReadAndBootstrapOverridesIt(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("client.properties");
    Files.writeString(file, "bootstrap.servers=kafka:9093\nsecurity.protocol=SASL_SSL\n");

    KafkaOptions fromFile = new KafkaOptions();
    CommandLine.populateCommand(fromFile, "--kafka-config", file.toString());
    assertThat(fromFile.clientProperties())
        .containsEntry("bootstrap.servers", "kafka:9093")
        .containsEntry("security.protocol", "SASL_SSL");

    KafkaOptions overridden = new KafkaOptions();
    CommandLine.populateCommand(
        overridden, "--kafka-config", file.toString(), "--bootstrap", "other:9092");
    assertThat(overridden.clientProperties()).containsEntry("bootstrap.servers", "other:9092");

    KafkaOptions none = new KafkaOptions();
    CommandLine.populateCommand(none);
    assertThat(none.clientProperties()).containsEntry("bootstrap.servers", "127.0.0.1:9092");
  }

  @Test
  void missingKafkaConfigIsAUserError(@TempDir Path dir) {
    CommandRun run =
        run("publish", "--model", "m.onnx", "--kafka-config", dir.resolve("nope").toString());
    // publish is not implemented yet, so the file is checked by KafkaOptions directly
    KafkaOptions options = new KafkaOptions();
    CommandLine.populateCommand(options, "--kafka-config", dir.resolve("nope").toString());
    org.assertj.core.api.Assertions.assertThatThrownBy(options::clientProperties)
        .isInstanceOf(UserException.class)
        .hasMessageContaining("does not exist");
    assertThat(run.exitCode()).isEqualTo(2);
  }
}
