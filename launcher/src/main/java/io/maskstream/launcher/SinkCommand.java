package io.maskstream.launcher;

import io.maskstream.schemas.cli.KafkaOptions;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code maskstream sink}: consumers of the event topics. */
@Command(
    name = "sink",
    mixinStandardHelpOptions = true,
    description = "Consumes the event topics into a live web view, PostgreSQL or JSON lines.",
    synopsisSubcommandLabel = "web|postgres|jsonl",
    subcommands = {SinkCommand.Web.class, SinkCommand.Postgres.class, SinkCommand.Jsonl.class})
final class SinkCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "choose a sink: web, postgres or jsonl");
  }

  @Command(
      name = "web",
      mixinStandardHelpOptions = true,
      description = "A live page of every camera with masks, boxes, labels and scores.")
  static final class Web implements Callable<Integer> {
    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Bind address.")
    String host;

    @Option(
        names = "--port",
        defaultValue = "8080",
        description = "Port (default: ${DEFAULT-VALUE}).")
    int port;

    @Mixin KafkaOptions kafka;

    @Override
    public Integer call() {
      return Unavailable.command("sink web", "sinks");
    }
  }

  @Command(
      name = "postgres",
      mixinStandardHelpOptions = true,
      description = "Detections and masks into PostgreSQL, idempotently.")
  static final class Postgres implements Callable<Integer> {
    @Option(names = "--jdbc-url", required = true, description = "jdbc:postgresql://HOST/DB")
    String jdbcUrl;

    @Mixin KafkaOptions kafka;

    @Override
    public Integer call() {
      return Unavailable.command("sink postgres", "sinks");
    }
  }

  @Command(
      name = "jsonl",
      mixinStandardHelpOptions = true,
      description = "One JSON object per frame, in files rotated by size and time.")
  static final class Jsonl implements Callable<Integer> {
    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "Output folder.")
    Path dir;

    @Mixin KafkaOptions kafka;

    @Override
    public Integer call() {
      return Unavailable.command("sink jsonl", "sinks");
    }
  }
}
