package io.maskstream.sinks.bench;

import io.maskstream.sinks.SinkCommand;
import picocli.CommandLine;

/** {@code maskstream sink ...} as a process of its own, for the benchmarks. */
public final class RunSink {
  private RunSink() {}

  public static void main(String[] args) {
    System.exit(new CommandLine(new SinkCommand()).execute(args));
  }
}
