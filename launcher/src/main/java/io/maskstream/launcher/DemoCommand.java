package io.maskstream.launcher;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code maskstream demo}: everything in one process on an embedded Kafka. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Runs everything in one process on an embedded Kafka: a sample video, the bundled model,"
          + " the detector and a live web view, until Ctrl-C."
    })
final class DemoCommand implements Callable<Integer> {
  @Option(
      names = "--port",
      paramLabel = "PORT",
      defaultValue = "8080",
      description = "Port of the web view (default: ${DEFAULT-VALUE}).")
  int port;

  @Override
  public Integer call() {
    return Unavailable.command("demo", "ingest, detector and sinks");
  }
}
