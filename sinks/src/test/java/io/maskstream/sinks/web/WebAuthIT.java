package io.maskstream.sinks.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.schemas.cli.UserException;
import io.maskstream.sinks.EventSamples;
import io.maskstream.sinks.SinkCommand;
import io.maskstream.sinks.SinkConfig;
import io.maskstream.sinks.SinkRun;
import java.awt.Color;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * The live view bound to an address other machines reach (this machine's first non-loopback IPv4
 * address; skipped when it has none): refused without credentials, guarded with them, and watched
 * live in a real headless Chromium that signs in with basic auth. The screenshot is kept as {@code
 * target/web-auth.png}.
 */
class WebAuthIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  static final String USER = "watcher";
  static final String PASSWORD = "c0rrect-h0rse_battery";
  static final String TOKEN = "9f86d081884c7d659a2feaa0c55ad015";
  static final String CSP =
      "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
          + " connect-src 'self'; object-src 'none'";
  static final List<String> PATHS = List.of("/", "/index.html", "/app.js", "/events", "/metrics");

  static String host;
  final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  @BeforeAll
  static void findAnAddress() throws Exception {
    InetAddress address = nonLoopbackAddress();
    Assumptions.assumeTrue(address != null, "this machine has no non-loopback IPv4 address");
    host = address.getHostAddress();
    EventSamples.createTopics(kafka);
  }

  /** The first IPv4 address of an interface that is up, not loopback, and can be bound. */
  static InetAddress nonLoopbackAddress() throws Exception {
    for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!ni.isUp() || ni.isLoopback()) {
        continue;
      }
      for (InetAddress a : Collections.list(ni.getInetAddresses())) {
        if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
          try (ServerSocket s = new ServerSocket(0, 1, a)) {
            return a;
          } catch (java.io.IOException e) {
            // not bindable here: try the next one
          }
        }
      }
    }
    return null;
  }

  @Test
  void refusesToStartOnThatAddressWithoutCredentials() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(host))) {
      port = s.getLocalPort();
    }
    AtomicReference<String> error = new AtomicReference<>();
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
    int code =
        cli.execute(
            "web",
            "--host",
            host,
            "--port",
            Integer.toString(port),
            "--bootstrap",
            kafka.bootstrapServers());
    assertThat(code).isEqualTo(2);
    assertThat(error.get())
        .isEqualTo(
            "--host "
                + host
                + " can be reached from other machines, so the page needs credentials: give"
                + " --auth-file FILE (user:password lines) or --token-file FILE, or"
                + " --allow-unauthenticated if a proxy in front of it authenticates");
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 2000);
      throw new AssertionError("something listens on " + host + ":" + port);
    } catch (ConnectException expected) {
      // nothing was started
    }
  }

  @Test
  void guardsEveryPathAndShowsTheViewLiveToABrowserThatSignsIn(
      @TempDir Path dir, @TempDir Path profile) throws Exception {
    Assumptions.assumeTrue(LivePage.available(), "needs Debian's chromium and chromium-driver");
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    log.start();
    Logger logger = (Logger) LoggerFactory.getLogger(WebSink.class);
    logger.addAppender(log);
    WebSink sink = new WebSink(config("web-auth-it"), SinkConfig.Web.of(host, 0, auth(dir)));
    try (EventSamples samples = new EventSamples(kafka.bootstrapServers());
        SinkRun run = new SinkRun(sink, "web-auth-it")) {
      sink.awaitStarted();
      String base = "http://" + host + ":" + sink.port();

      for (String path : PATHS) {
        assertRefused(get(base + path, null), path);
      }
      // fewer wrong ones than get an address refused
      assertRefused(get(base + "/", basic(USER, "wrong-guess-4711")), "/");
      assertRefused(get(base + "/events", basic(USER, "wrong-guess-4711")), "/events");
      assertRefused(get(base + "/metrics", basic("nobody", PASSWORD)), "/metrics");
      assertRefused(get(base + "/metrics", "Bearer wrong-token-0123456789abcdef"), "/metrics");
      assertRefused(get(base + "/app.js", "Bearer " + PASSWORD), "/app.js");
      assertRefused(get(base + "/", "Basic not-base64!"), "/");
      assertThat(log.list)
          .extracting(ILoggingEvent::getFormattedMessage)
          .anyMatch(m -> m.equals("refused wrong basic credentials from " + host + " for GET /"))
          .anyMatch(m -> m.startsWith("refused wrong bearer credentials from " + host))
          .noneMatch(m -> m.contains("wrong-guess-4711") || m.contains("wrong-token"))
          .noneMatch(m -> m.contains(PASSWORD) || m.contains("nobody"));

      // the right user, or the token as bearer or as a password, gets everything
      for (String authorization : List.of(basic(USER, PASSWORD), "Bearer " + TOKEN)) {
        HttpResponse<String> page = get(base + "/", authorization);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("maskstream live");
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValue(CSP);
        HttpResponse<String> metrics = get(base + "/metrics", authorization);
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body())
            .contains("maskstream_sink_web_clients")
            .containsPattern(
                "maskstream_sink_web_auth_refused_total\\{[^}]*reason=\"wrong\"[^}]*} 6(\\.0)?\n");
      }
      assertThat(get(base + "/app.js", basic("any-name", TOKEN)).statusCode()).isEqualTo(200);
      HttpResponse<InputStream> events =
          http.send(
              request(base + "/events", basic(USER, PASSWORD)),
              HttpResponse.BodyHandlers.ofInputStream());
      try (BufferedReader in =
          new BufferedReader(new InputStreamReader(events.body(), StandardCharsets.UTF_8))) {
        assertThat(events.statusCode()).isEqualTo(200);
        assertThat(events.headers().firstValue("Content-Type"))
            .hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
        assertThat(in.readLine()).isEqualTo(": connected");
      }

      // a browser given the credentials in the address: the page and its event stream go live
      try (LivePage browser =
          LivePage.open(
              "http://" + USER + ":" + PASSWORD + "@" + host + ":" + sink.port() + "/", profile)) {
        samples.send(EventSamples.frame("gate", 1, 64, 48, Color.DARK_GRAY));
        samples.send(EventSamples.detections("gate", 1, "v1", 1, "car"));
        samples.send(EventSamples.masks("gate", 1, "v1", 1));
        samples.flush();
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () ->
                    "1".equals(browser.tileData("gate", "sequence"))
                        && "1".equals(browser.tileData("gate", "detections")));
        samples.send(EventSamples.frame("gate", 2, 64, 48, Color.GRAY));
        samples.send(EventSamples.detections("gate", 2, "v1", 1, "car"));
        samples.send(EventSamples.masks("gate", 2, "v1", 1));
        samples.flush();
        await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> "2".equals(browser.tileData("gate", "sequence")));
        browser.screenshot(Paths.get("target", "web-auth.png"));
      }
    } finally {
      logger.detachAppender(log);
    }
  }

  @Test
  void anAddressSendingWrongCredentialsTooOftenIsRefusedForAWhile(@TempDir Path dir)
      throws Exception {
    WebSink sink = new WebSink(config("web-auth-limit-it"), SinkConfig.Web.of(host, 0, auth(dir)));
    try (SinkRun run = new SinkRun(sink, "web-auth-limit-it")) {
      sink.awaitStarted();
      String base = "http://" + host + ":" + sink.port();
      assertThat(get(base + "/", null).statusCode())
          .as("no credentials: not a failure")
          .isEqualTo(401);
      for (int i = 0; i < FailedAttempts.MAX_FAILURES; i++) {
        assertThat(get(base + "/metrics", basic(USER, "guess-" + i)).statusCode()).isEqualTo(401);
      }
      HttpResponse<String> refused = get(base + "/metrics", basic(USER, PASSWORD));
      assertThat(refused.statusCode()).isEqualTo(429);
      assertThat(refused.headers().firstValue("Retry-After").map(Integer::parseInt))
          .hasValueSatisfying(s -> assertThat(s).isBetween(1, 60));
      assertThat(refused.headers().firstValue("Content-Security-Policy")).hasValue(CSP);
      assertThat(refused.body()).doesNotContain(USER).doesNotContain("guess");
    }
  }

  private static SinkConfig config(String group) {
    return SinkConfig.of(EventSamples.clientProperties(kafka.bootstrapServers()), group, -1);
  }

  /** A user from an --auth-file and a token from a --token-file, as the command reads them. */
  private static WebAuth auth(Path dir) throws Exception {
    Path users =
        Files.writeString(dir.resolve("users"), "# who may watch\n" + USER + ":" + PASSWORD + "\n");
    Path tokens = Files.writeString(dir.resolve("token"), TOKEN + "\n");
    return WebAuth.of(
        WebAuth.parseUsers(WebAuth.readLines(users, "users"), "users"),
        WebAuth.parseTokens(WebAuth.readLines(tokens, "token"), "token"));
  }

  private static void assertRefused(HttpResponse<String> response, String path) {
    assertThat(response.statusCode()).as(path).isEqualTo(401);
    assertThat(response.headers().allValues("WWW-Authenticate"))
        .as(path)
        .containsExactly(
            "Basic realm=\"maskstream\", charset=\"UTF-8\"", "Bearer realm=\"maskstream\"");
    assertThat(response.headers().firstValue("Content-Security-Policy")).as(path).hasValue(CSP);
    assertThat(response.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    assertThat(response.headers().firstValue("Referrer-Policy")).hasValue("no-referrer");
    assertThat(response.body()).as(path).isEqualTo("Unauthorized\n");
  }

  private static String basic(String user, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  private static HttpRequest request(String url, String authorization) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    if (url.endsWith("/events")) {
      b.header("Accept", "text/event-stream"); // as EventSource asks
    }
    return b.build();
  }

  private HttpResponse<String> get(String url, String authorization) throws Exception {
    return http.send(request(url, authorization), HttpResponse.BodyHandlers.ofString());
  }
}
