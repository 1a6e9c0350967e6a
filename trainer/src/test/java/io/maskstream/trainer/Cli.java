package io.maskstream.trainer;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** Runs a command as the launcher does, but lets its exceptions through to the test. */
final class Cli {
  private Cli() {}

  /** Runs the command and returns what it printed; fails unless it exits 0. */
  static String run(Object command, String... args) {
    StringWriter out = new StringWriter();
    CommandLine cmd = new CommandLine(command);
    cmd.setOut(new PrintWriter(out));
    RuntimeException[] thrown = new RuntimeException[1];
    cmd.setExecutionExceptionHandler(
        (e, c, parseResult) -> {
          thrown[0] = e instanceof RuntimeException r ? r : new IllegalStateException(e);
          return 1;
        });
    int code = cmd.execute(args);
    if (thrown[0] != null) {
      throw thrown[0];
    }
    if (code != 0) {
      throw new AssertionError("exit code " + code + ", output: " + out);
    }
    return out.toString();
  }
}
