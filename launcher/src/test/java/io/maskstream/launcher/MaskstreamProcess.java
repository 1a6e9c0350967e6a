package io.maskstream.launcher;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code maskstream COMMAND ...} in a JVM of its own, as a user runs it: this JVM's {@code java}
 * and class path, so the child runs exactly the code under test.
 */
public final class MaskstreamProcess {
  private MaskstreamProcess() {}

  /** The command line of {@code maskstream args} with {@code jvmOptions} before the class path. */
  public static List<String> command(List<String> jvmOptions, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Maskstream.class.getName());
    command.addAll(args);
    return command;
  }

  /**
   * Starts {@code maskstream args}: no standard input, standard output and error appended to {@code
   * log}. The caller owns the process (and must end it).
   */
  public static Process start(Path log, List<String> jvmOptions, List<String> args)
      throws IOException {
    return new ProcessBuilder(command(jvmOptions, args))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .start();
  }
}
