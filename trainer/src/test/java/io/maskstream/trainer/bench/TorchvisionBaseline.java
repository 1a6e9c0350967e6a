package io.maskstream.trainer.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs {@code trainer/src/test/python/torchvision_train.py} with Debian's torchvision ({@code
 * /usr/bin/python3}) and returns the JSON line it prints.
 */
final class TorchvisionBaseline {
  static final Path SCRIPT = locate();

  private TorchvisionBaseline() {}

  private static Path locate() {
    for (Path p :
        List.of(
            Path.of("src/test/python/torchvision_train.py"),
            Path.of("trainer/src/test/python/torchvision_train.py"))) {
      if (Files.isRegularFile(p)) {
        return p.toAbsolutePath();
      }
    }
    throw new IllegalStateException(
        "run from the repository or trainer/ folder: torchvision_train.py not found");
  }

  /** Runs the script with {@code args}, its log going to this process's standard error. */
  static JsonNode run(List<String> args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("/usr/bin/python3", SCRIPT.toString()));
    command.addAll(args);
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException(
          "torchvision baseline failed (exit "
              + p.exitValue()
              + "; is python3-torchvision"
              + " installed?): "
              + out);
    }
    String[] lines = out.strip().split("\n");
    return new ObjectMapper().readTree(lines[lines.length - 1]);
  }
}
