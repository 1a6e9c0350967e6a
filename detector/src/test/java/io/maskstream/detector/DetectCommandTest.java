package io.maskstream.detector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.maskstream.detector.model.Device;
import io.maskstream.detector.model.GraphContract;
import io.maskstream.schemas.cli.UserException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class DetectCommandTest {
  @Test
  void optionsBecomeTheConfiguration(@TempDir Path dir) throws Exception {
    Path labels = Files.writeString(dir.resolve("labels.txt"), "bg\nthing\n");
    Path kafka =
        Files.writeString(
            dir.resolve("client.properties"),
            "bootstrap.servers=k:9092\nmaskstream.topic.frames=site1.frames\n");
    DetectCommand cmd = new DetectCommand();
    new CommandLine(cmd)
        .parseArgs(
            "--model", Fixtures.model().toString(),
            "--labels", labels.toString(),
            "--threads", "3",
            "--mode", "realtime",
            "--max-frame-age", "1500",
            "--device", "cpu",
            "--contract", "torchvision",
            "--kafka-config", kafka.toString());
    DetectorConfig config = cmd.config();
    assertThat(config.streamThreads()).isEqualTo(3);
    assertThat(config.mode()).isEqualTo(DetectorConfig.Mode.REALTIME);
    assertThat(config.maxFrameAge()).isEqualTo(Duration.ofMillis(1500));
    assertThat(config.device()).isEqualTo(Device.CPU);
    assertThat(config.contract()).isEqualTo(GraphContract.TORCHVISION);
    assertThat(config.labels()).isEqualTo(labels);
    assertThat(config.topics().frames()).isEqualTo("site1.frames");
    assertThat(config.topics().detections()).isEqualTo("maskstream.detections");
    assertThat(config.kafka().getProperty("bootstrap.servers")).isEqualTo("k:9092");
    assertThat(config.scoreThreshold()).isEqualTo(0.5f);
  }

  @Test
  void badInputIsAOneLineUserError(@TempDir Path dir) {
    assertThatThrownBy(() -> parse("--model", dir.resolve("missing.onnx").toString()).config())
        .isInstanceOf(UserException.class)
        .hasMessage(
            "--model " + dir.resolve("missing.onnx") + " does not exist: give a .onnx file");
    assertThatThrownBy(
            () -> parse("--model", Fixtures.model().toString(), "--device", "tpu").config())
        .isInstanceOf(UserException.class)
        .hasMessageContaining("use cpu, cuda or auto");
    assertThatThrownBy(
            () -> parse("--model", Fixtures.model().toString(), "--contract", "keras").config())
        .isInstanceOf(UserException.class)
        .hasMessageContaining("use torchvision, onnx-zoo or maskstream");
    assertThatThrownBy(
            () -> parse("--model", Fixtures.model().toString(), "--threads", "0").config())
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--threads");
    assertThat(new CommandLine(new DetectCommand()).execute("--mode", "fast")).isEqualTo(2);
  }

  private static DetectCommand parse(String... args) {
    DetectCommand cmd = new DetectCommand();
    new CommandLine(cmd).parseArgs(args);
    return cmd;
  }
}
