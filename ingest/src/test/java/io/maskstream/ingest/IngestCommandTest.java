package io.maskstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.schemas.cli.UserException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class IngestCommandTest {
  @TempDir Path dir;
  private final StringWriter err = new StringWriter();

  /** Runs the command the way the maskstream launcher does: UserException -> one line, exit 2. */
  private int run(String... args) {
    CommandLine cli = new CommandLine(new IngestCommand());
    cli.setErr(new PrintWriter(err, true));
    cli.setOut(new PrintWriter(new StringWriter(), true));
    cli.setExecutionExceptionHandler(
        (e, line, parsed) -> {
          if (e instanceof UserException) {
            line.getErr().println("ingest: " + e.getMessage());
            return 2;
          }
          throw e;
        });
    return cli.execute(args);
  }

  @Test
  void helpListsTheOptions() {
    String usage = new CommandLine(new IngestCommand()).getUsageMessage();
    assertThat(usage)
        .contains("--camera=ID=URL", "--config", "--fps", "--max-width", "--jpeg-quality")
        .contains("--metrics-port", "--bootstrap", "--kafka-config");
    assertThat(run("--help")).isZero();
  }

  @Test
  void withoutCamerasTheTopicModeRefusesPerCameraSettings() {
    assertThat(run("--bootstrap", "127.0.0.1:1", "--fps", "3", "--loop")).isEqualTo(2);
    assertThat(err.toString().strip())
        .startsWith("ingest: --fps, --loop: cameras of the topic carry their own settings")
        .doesNotContain("\n");
  }

  @Test
  void camerasFromTopicExcludesCameraFlags() {
    assertThat(run("--cameras-from-topic", "--camera", "a=x.mp4")).isEqualTo(2);
    assertThat(err.toString().strip())
        .isEqualTo(
            "ingest: --cameras-from-topic takes the cameras from the topic: drop --camera and"
                + " --config");
  }

  @Test
  void badValuesExit2() throws Exception {
    assertThat(run("--camera", "a=x.mp4", "--fps", "0")).isEqualTo(2);
    assertThat(err.toString()).contains("fps must be in (0, 1000]");
    assertThat(run("--camera", "a=x.mp4", "--jpeg-quality", "101")).isEqualTo(2);
    assertThat(run("--config", dir.resolve("missing.yaml").toString())).isEqualTo(2);
    assertThat(err.toString()).contains("missing.yaml does not exist");
    assertThat(run("--camera", "a=x.mp4", "--read-timeout", "-1")).isEqualTo(2);
    Path props =
        Files.writeString(dir.resolve("k.properties"), "maskstream.topic.frames=bad name\n");
    assertThat(run("--camera", "a=x.mp4", "--kafka-config", props.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("invalid topic name");
  }

  @Test
  void unknownOptionsAndMalformedValuesAreUsageErrors() {
    assertThat(run("--camera", "a=x.mp4", "--frames-per-second", "3")).isEqualTo(2);
    assertThat(run("--camera", "a=x.mp4", "--fps", "fast")).isEqualTo(2);
    assertThat(run("--camera", "no-equals-sign")).isEqualTo(2);
  }

  @Test
  void urlsMayContainEqualsSigns() {
    IngestCommand command = new IngestCommand();
    new CommandLine(command)
        .parseArgs("--camera", "gate=http://cam/video.cgi?resolution=640x480&fps=10");
    assertThat(command.ingestConfig().cameras().get(0).url())
        .isEqualTo("http://cam/video.cgi?resolution=640x480&fps=10");
  }
}
