package io.maskstream.ingest;

import picocli.CommandLine;

/** {@code maskstream ingest} as its own JVM, for tests that kill it. */
public final class IngestProcess {
  private IngestProcess() {}

  /** Runs {@link IngestCommand} with the given arguments and exits with its code. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new IngestCommand()).execute(args));
  }
}
