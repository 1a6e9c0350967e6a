package io.maskstream.sinks;

import io.maskstream.schemas.cli.KafkaOptions;
import io.maskstream.schemas.cli.UserException;
import io.maskstream.sinks.jsonl.JsonlSink;
import io.maskstream.sinks.postgres.PostgresSink;
import io.maskstream.sinks.web.WebSink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code maskstream sink web|postgres|jsonl}: the consumers of the event topics, as picocli
 * commands. Each subcommand builds a {@link SinkConfig}, runs its {@link Sink} on the calling
 * thread until Ctrl-C (a shutdown hook stops it and waits for it to finish cleanly) and returns 0;
 * bad options raise {@link UserException}.
 */
@Command(
    name = "sink",
    mixinStandardHelpOptions = true,
    description = "Consumes the event topics into a live web view, PostgreSQL or JSON lines.",
    synopsisSubcommandLabel = "web|postgres|jsonl",
    subcommands = {SinkCommand.Web.class, SinkCommand.Postgres.class, SinkCommand.Jsonl.class})
public final class SinkCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "choose a sink: web, postgres or jsonl");
  }

  /** Options every sink has besides the Kafka ones. */
  static final class CommonOptions {
    @Option(
        names = "--group-id",
        paramLabel = "ID",
        description = "Consumer group (default: maskstream-sink-NAME).")
    String groupId;

    @Option(
        names = "--join-timeout",
        paramLabel = "DURATION",
        defaultValue = "10s",
        description =
            "How long detections wait for their masks before going on without them"
                + " (default: ${DEFAULT-VALUE}; e.g. 500ms, 10s, 1m).")
    String joinTimeout;

    SinkConfig config(KafkaOptions kafka, String sink, int metricsPort, String metricsHost) {
      return valid(
          () ->
              SinkConfig.of(
                      kafka.clientProperties(),
                      groupId == null ? "maskstream-sink-" + sink : groupId,
                      metricsPort)
                  .withMetrics(metricsHost, metricsPort)
                  .withJoinTimeout(parseDuration("--join-timeout", joinTimeout)));
    }
  }

  /**
   * {@code --metrics-port} and {@code --metrics-host} of a sink without a web server of its own.
   */
  static final class MetricsOptions {
    @Option(
        names = "--metrics-port",
        paramLabel = "PORT",
        description = "Port of /metrics (default: ${DEFAULT-VALUE}; 0 any free port, -1 off).")
    int port;

    @Option(
        names = "--metrics-host",
        paramLabel = "HOST",
        defaultValue = "127.0.0.1",
        description = "Bind address of /metrics (default: ${DEFAULT-VALUE}).")
    String host;

    /** Options whose port is {@code defaultPort} unless given. */
    MetricsOptions(int defaultPort) {
      port = defaultPort;
    }
  }

  /**
   * A sink subcommand: builds its {@link Sink} from the options, then runs it until stopped and
   * returns 0.
   */
  abstract static class SinkSubcommand implements Callable<Integer> {
    @Mixin KafkaOptions kafka;
    @Mixin CommonOptions common;

    /**
     * The sink the options describe.
     *
     * @throws UserException for bad options
     */
    abstract Sink sink();

    @Override
    public final Integer call() throws Exception {
      return runUntilStopped(sink());
    }
  }

  /** {@code sink web}. */
  @Command(
      name = "web",
      mixinStandardHelpOptions = true,
      description =
          "A live page of every camera with masks, boxes, labels and scores, its zones"
              + " and lines with their counts, and a panel of the defined cameras and how they"
              + " are doing: up, down with the last error, stale, not running (also /metrics"
              + " for Prometheus).")
  static final class Web extends SinkSubcommand {
    @Option(
        names = "--host",
        defaultValue = SinkConfig.Web.DEFAULT_HOST,
        description =
            "Bind address (default: ${DEFAULT-VALUE}, this machine only; 0.0.0.0 for every"
                + " interface, which needs --auth-file or --token-file).")
    String host;

    @Option(
        names = "--port",
        defaultValue = "8080",
        description = "Port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(
        names = "--frames-per-camera",
        paramLabel = "N",
        defaultValue = "" + SinkConfig.Web.DEFAULT_FRAMES_PER_CAMERA,
        description =
            "Most recent frames kept per camera for events that arrive after their frame:"
                + " twice the detector's lag, at least 3 s, at most N frames"
                + " (default: ${DEFAULT-VALUE}; 10 s at 15 fps).")
    int framesPerCamera;

    @Option(
        names = "--backlog",
        paramLabel = "N",
        defaultValue = "" + SinkConfig.Web.DEFAULT_BACKLOG,
        description =
            "Records per partition read from before the end at start, so the page is not"
                + " empty (default: ${DEFAULT-VALUE}).")
    int backlog;

    @Mixin WebAuthOptions auth;

    @Override
    Sink sink() {
      SinkConfig.Web web = auth.web(host, port, framesPerCamera, backlog);
      return new WebSink(common.config(kafka, "web", -1, host), web);
    }
  }

  /** {@code sink postgres}. */
  @Command(
      name = "postgres",
      mixinStandardHelpOptions = true,
      description =
          "Detections, masks, object events and zone events into PostgreSQL, idempotently.")
  static final class Postgres extends SinkSubcommand {
    @Option(names = "--jdbc-url", required = true, description = "jdbc:postgresql://HOST/DB")
    String jdbcUrl;

    @Option(names = "--db-user", paramLabel = "USER", description = "Database user.")
    String user;

    @Option(
        names = "--db-password",
        paramLabel = "PASSWORD",
        description = "Database password (or the PGPASSWORD environment variable).")
    String password;

    @Option(
        names = "--db-schema",
        paramLabel = "SCHEMA",
        defaultValue = "public",
        description = "Schema of the tables, created when missing (default: ${DEFAULT-VALUE}).")
    String schema;

    @Option(
        names = "--batch",
        paramLabel = "N",
        defaultValue = "1000",
        description = "Records per database transaction at most (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(
        names = "--max-retry-backoff",
        paramLabel = "DURATION",
        defaultValue = "30s",
        description =
            "Longest wait between attempts while the database is down; waits double from 250ms"
                + " (default: ${DEFAULT-VALUE}).")
    String maxRetryBackoff;

    @Mixin MetricsOptions metrics = new MetricsOptions(9466);

    @Override
    Sink sink() {
      SinkConfig.Postgres pg =
          valid(
              () ->
                  new SinkConfig.Postgres(
                      jdbcUrl,
                      user,
                      password != null ? password : System.getenv("PGPASSWORD"),
                      schema,
                      batch,
                      parseDuration("--max-retry-backoff", maxRetryBackoff)));
      return new PostgresSink(common.config(kafka, "postgres", metrics.port, metrics.host), pg);
    }
  }

  /** {@code sink jsonl}. */
  @Command(
      name = "jsonl",
      mixinStandardHelpOptions = true,
      description = "One JSON object per frame, in files rotated by size and time.")
  static final class Jsonl extends SinkSubcommand {
    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "Output folder.")
    Path dir;

    @Option(
        names = "--max-file-size",
        paramLabel = "SIZE",
        defaultValue = "256MB",
        description = "Start a new file at this size (default: ${DEFAULT-VALUE}; B, KB, MB, GB).")
    String maxFileSize;

    @Option(
        names = "--max-file-age",
        paramLabel = "DURATION",
        defaultValue = "1h",
        description = "Start a new file at this age (default: ${DEFAULT-VALUE}; e.g. 30s, 10m).")
    String maxFileAge;

    @Option(
        names = "--prefix",
        paramLabel = "NAME",
        defaultValue = "frames",
        description = "Start of the file names (default: ${DEFAULT-VALUE}).")
    String prefix;

    @Mixin MetricsOptions metrics = new MetricsOptions(9467);

    @Override
    Sink sink() {
      if (Files.exists(dir) && !Files.isDirectory(dir)) {
        throw new UserException("--dir " + dir + " is a file; give a folder");
      }
      SinkConfig.Jsonl jsonl =
          valid(
              () ->
                  new SinkConfig.Jsonl(
                      dir,
                      parseSize("--max-file-size", maxFileSize),
                      parseDuration("--max-file-age", maxFileAge),
                      prefix));
      return new JsonlSink(common.config(kafka, "jsonl", metrics.port, metrics.host), jsonl);
    }
  }

  /**
   * {@code value.get()}; a value the sink refuses ({@link IllegalArgumentException}) is bad input.
   */
  static <T> T valid(Supplier<T> value) {
    try {
      return value.get();
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage(), e);
    }
  }

  /** Runs {@code sink} on this thread; Ctrl-C stops it and waits up to 30 s for a clean end. */
  static int runUntilStopped(Sink sink) throws Exception {
    CountDownLatch finished = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              sink.stop();
              try {
                finished.await(30, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "maskstream-sink-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      sink.run();
    } finally {
      finished.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // the JVM is already shutting down: the hook is running and waits for us
      }
    }
    return 0;
  }

  /** Parses {@code 500ms}, {@code 10s}, {@code 5m}, {@code 1h} or an ISO-8601 duration. */
  static Duration parseDuration(String option, String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    try {
      if (t.startsWith("p")) {
        return Duration.parse(text.trim().toUpperCase(Locale.ROOT));
      }
      if (t.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2).trim()));
      }
      long n = Long.parseLong(t.substring(0, t.length() - 1).trim());
      switch (t.charAt(t.length() - 1)) {
        case 's':
          return Duration.ofSeconds(n);
        case 'm':
          return Duration.ofMinutes(n);
        case 'h':
          return Duration.ofHours(n);
        case 'd':
          return Duration.ofDays(n);
        default:
          break;
      }
    } catch (RuntimeException e) {
      // falls through to the message below
    }
    throw new UserException(
        option + " '" + text + "' is not a duration: write e.g. 500ms, 30s, 10m or 1h");
  }

  /** Parses {@code 1048576}, {@code 512KB}, {@code 64MB} or {@code 1GB} (powers of 1024). */
  static long parseSize(String option, String text) {
    String t = text.trim().toUpperCase(Locale.ROOT);
    long unit = 1;
    for (String[] u :
        new String[][] {{"KB", "1024"}, {"MB", "1048576"}, {"GB", "1073741824"}, {"B", "1"}}) {
      if (t.endsWith(u[0])) {
        unit = Long.parseLong(u[1]);
        t = t.substring(0, t.length() - u[0].length()).trim();
        break;
      }
    }
    try {
      long n = Long.parseLong(t);
      if (n > 0) {
        return Math.multiplyExact(n, unit);
      }
    } catch (ArithmeticException | NumberFormatException e) {
      // falls through to the message below
    }
    throw new UserException(
        option + " '" + text + "' is not a positive size: write e.g. 1048576, 512KB, 64MB or 1GB");
  }
}
