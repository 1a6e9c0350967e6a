package io.maskstream.detector;

import picocli.CommandLine;

/** {@code maskstream detect} as its own JVM, for tests that kill it. */
public final class DetectorProcess {
  private DetectorProcess() {}

  /** Runs {@link DetectCommand} with the given arguments and exits with its code. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new DetectCommand()).execute(args));
  }
}
