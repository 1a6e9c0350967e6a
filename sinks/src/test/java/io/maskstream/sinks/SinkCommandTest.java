package io.maskstream.sinks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.maskstream.schemas.cli.UserException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SinkCommandTest {
  /** Runs the command as the launcher does: a UserException becomes one line and exit code 2. */
  private static int run(AtomicReference<String> error, String... args) {
    CommandLine cli = new CommandLine(new SinkCommand());
    cli.setErr(new PrintWriter(new StringWriter()));
    cli.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          if (e instanceof UserException) {
            error.set(e.getMessage());
            return 2;
          }
          throw e;
        });
    return cli.execute(args);
  }

  @Test
  void helpListsEverySinkAndItsOptions() {
    StringWriter out = new StringWriter();
    CommandLine cli = new CommandLine(new SinkCommand());
    cli.setOut(new PrintWriter(out));
    assertThat(cli.execute("jsonl", "--help")).isZero();
    assertThat(out.toString())
        .contains("--dir", "--max-file-size", "--max-file-age", "--bootstrap");
    assertThat(cli.getSubcommands()).containsOnlyKeys("web", "postgres", "jsonl");
  }

  @Test
  void badOptionsSayWhatToDo(@TempDir Path dir) throws Exception {
    AtomicReference<String> error = new AtomicReference<>();
    assertThat(run(error, "postgres", "--jdbc-url", "mysql://x/y", "--metrics-port", "-1"))
        .isEqualTo(2);
    assertThat(error.get()).contains("jdbc:postgresql://");
    assertThat(run(error, "jsonl", "--dir", dir.toString(), "--max-file-size", "lots"))
        .isEqualTo(2);
    assertThat(error.get()).contains("--max-file-size").contains("64MB");
    Path file = Files.createFile(dir.resolve("f"));
    assertThat(run(error, "jsonl", "--dir", file.toString())).isEqualTo(2);
    assertThat(error.get()).contains("is a file");
    assertThat(run(error, "web", "--port", "70000")).isEqualTo(2);
    assertThat(error.get()).contains("--port");
    assertThat(run(error, "web", "--join-timeout", "soon")).isEqualTo(2);
    assertThat(error.get()).contains("--join-timeout");
    assertThat(run(error, "web", "--frames-per-camera", "0")).isEqualTo(2);
    assertThat(error.get()).contains("--frames-per-camera").contains("1-10000");
    assertThat(run(error, "web", "--backlog", "-1")).isEqualTo(2);
    assertThat(error.get()).contains("--backlog");
    assertThat(
            run(
                error,
                "postgres",
                "--jdbc-url",
                "jdbc:postgresql://127.0.0.1/test",
                "--max-retry-backoff",
                "10ms",
                "--metrics-port",
                "-1"))
        .isEqualTo(2);
    assertThat(error.get()).contains("--max-retry-backoff").contains("250ms");
    assertThat(
            run(
                error,
                "postgres",
                "--jdbc-url",
                "jdbc:postgresql://127.0.0.1/test",
                "--max-retry-backoff",
                "often"))
        .isEqualTo(2);
    assertThat(error.get()).contains("--max-retry-backoff").contains("is not a duration");
    // missing required option: picocli's usage error
    assertThat(run(error, "postgres")).isEqualTo(2);
  }

  @Test
  void webOnAnotherHostThanLoopbackNeedsCredentials(@TempDir Path dir) throws Exception {
    AtomicReference<String> error = new AtomicReference<>();
    assertThat(run(error, "web", "--host", "0.0.0.0")).isEqualTo(2);
    assertThat(error.get())
        .startsWith("--host 0.0.0.0 can be reached from other machines")
        .contains("--auth-file FILE", "--token-file FILE", "--allow-unauthenticated")
        .doesNotContain("\n");
    assertThat(run(error, "web", "--auth-file", dir.resolve("nope").toString())).isEqualTo(2);
    assertThat(error.get()).endsWith("nope does not exist");
    Path empty = Files.writeString(dir.resolve("empty"), "# nobody yet\n");
    assertThat(run(error, "web", "--host", "0.0.0.0", "--auth-file", empty.toString()))
        .isEqualTo(2);
    assertThat(error.get()).endsWith("holds no user:password line");
    Path users = Files.writeString(dir.resolve("users"), "alice:s3cret\n");
    assertThat(
            run(
                error,
                "web",
                "--host",
                "0.0.0.0",
                "--auth-file",
                users.toString(),
                "--allow-unauthenticated"))
        .isEqualTo(2);
    assertThat(error.get()).contains("exclude each other");

    SinkCommand.Web web = parseWeb("--host", "0.0.0.0", "--auth-file", users.toString());
    assertThat(web.sink()).isNotNull();
    assertThat(web.auth.auth().allowsBasic("alice", "s3cret")).isTrue();
    web = parseWeb("--host", "0.0.0.0", "--allow-unauthenticated");
    assertThat(web.sink()).isNotNull();
    web = parseWeb();
    assertThat(web.host).isEqualTo("127.0.0.1");
    assertThat(web.auth.auth().isEmpty()).isTrue();
  }

  @Test
  void webCredentialsMayComeFromTheEnvironment(@TempDir Path dir) throws Exception {
    String token = "0123456789abcdef0123456789abcdef";
    SinkCommand.Web web = parseWeb("--host", "0.0.0.0");
    web.auth.env = Map.of("MASKSTREAM_WEB_TOKEN", token, "MASKSTREAM_WEB_AUTH", "bob:pw")::get;
    assertThat(web.sink()).isNotNull();
    assertThat(web.auth.auth().allowsToken(token)).isTrue();
    assertThat(web.auth.auth().allowsBasic("bob", "pw")).isTrue();

    web = parseWeb("--host", "0.0.0.0");
    web.auth.env = Map.of("MASKSTREAM_WEB_TOKEN", "short")::get;
    assertThatThrownBy(web::sink)
        .isInstanceOf(UserException.class)
        .hasMessageStartingWith("MASKSTREAM_WEB_TOKEN: a token is one word")
        .hasMessageNotContaining("short");
    web = parseWeb("--host", "0.0.0.0");
    web.auth.env = Map.of("MASKSTREAM_WEB_AUTH", "bob")::get;
    assertThatThrownBy(web::sink)
        .isInstanceOf(UserException.class)
        .hasMessage("MASKSTREAM_WEB_AUTH must be user:password (both not empty)");
    Path users = Files.writeString(dir.resolve("users"), "bob:other\n");
    web = parseWeb("--auth-file", users.toString());
    web.auth.env = Map.of("MASKSTREAM_WEB_AUTH", "bob:pw")::get;
    assertThatThrownBy(web::sink).hasMessageContaining("in --auth-file too");
  }

  private static SinkCommand.Web parseWeb(String... args) {
    CommandLine cli = new CommandLine(new SinkCommand());
    String[] all = new String[args.length + 1];
    all[0] = "web";
    System.arraycopy(args, 0, all, 1, args.length);
    cli.parseArgs(all);
    return cli.getSubcommands().get("web").getCommand();
  }

  @Test
  void eachSinkWithItsOwnMetricsServerHasItsOwnDefaultPort() {
    CommandLine cli = new CommandLine(new SinkCommand());
    cli.parseArgs("postgres", "--jdbc-url", "jdbc:postgresql://127.0.0.1/test");
    SinkCommand.Postgres pg = cli.getSubcommands().get("postgres").getCommand();
    assertThat(pg.metrics.port).isEqualTo(9466);
    assertThat(pg.metrics.host).isEqualTo("127.0.0.1");
    cli = new CommandLine(new SinkCommand());
    cli.parseArgs("jsonl", "--dir", "out", "--metrics-port", "0", "--metrics-host", "0.0.0.0");
    SinkCommand.Jsonl jsonl = cli.getSubcommands().get("jsonl").getCommand();
    assertThat(jsonl.metrics.port).isZero();
    assertThat(jsonl.metrics.host).isEqualTo("0.0.0.0");
    cli = new CommandLine(new SinkCommand());
    cli.parseArgs("jsonl", "--dir", "out");
    assertThat(((SinkCommand.Jsonl) cli.getSubcommands().get("jsonl").getCommand()).metrics.port)
        .isEqualTo(9467);
  }

  @Test
  void bufferAndBackoffOptionsHaveDefaultsAndReachTheConfig() {
    CommandLine cli = new CommandLine(new SinkCommand());
    cli.parseArgs("web");
    SinkCommand.Web web = cli.getSubcommands().get("web").getCommand();
    assertThat(web.framesPerCamera).isEqualTo(SinkConfig.Web.DEFAULT_FRAMES_PER_CAMERA);
    assertThat(web.backlog).isEqualTo(SinkConfig.Web.DEFAULT_BACKLOG);
    cli = new CommandLine(new SinkCommand());
    cli.parseArgs("web", "--frames-per-camera", "120", "--backlog", "0");
    web = cli.getSubcommands().get("web").getCommand();
    assertThat(web.framesPerCamera).isEqualTo(120);
    assertThat(web.backlog).isZero();
    cli = new CommandLine(new SinkCommand());
    cli.parseArgs(
        "postgres", "--jdbc-url", "jdbc:postgresql://127.0.0.1/test", "--max-retry-backoff", "2m");
    SinkCommand.Postgres pg = cli.getSubcommands().get("postgres").getCommand();
    assertThat(SinkCommand.parseDuration("--max-retry-backoff", pg.maxRetryBackoff))
        .isEqualTo(Duration.ofMinutes(2));
  }

  @Test
  void parsesSizesAndDurations() {
    assertThat(SinkCommand.parseSize("x", "64MB")).isEqualTo(64L << 20);
    assertThat(SinkCommand.parseSize("x", "512kb")).isEqualTo(512L << 10);
    assertThat(SinkCommand.parseSize("x", "1000")).isEqualTo(1000);
    assertThat(SinkCommand.parseDuration("x", "500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(SinkCommand.parseDuration("x", "10m")).isEqualTo(Duration.ofMinutes(10));
    assertThat(SinkCommand.parseDuration("x", "PT2H")).isEqualTo(Duration.ofHours(2));
    assertThatThrownBy(() -> SinkCommand.parseSize("--s", "-1")).isInstanceOf(UserException.class);
  }
}
