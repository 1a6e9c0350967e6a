package io.maskstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.sinks.web.LivePage;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code maskstream demo} as a user runs it: a separate JVM that brings up Kafka, ingest, the
 * detector with the bundled model and the web view, pushes frames to a browser connection with
 * confident detections (a score of {@value #CONFIDENT} or more, the bundled model's), shows them in
 * a real browser (the screenshot is kept as {@code target/demo.png}), and stops cleanly on SIGTERM.
 */
class DemoCommandIT {
  /** The score the bundled model's true detections reach on the demo's clip. */
  static final double CONFIDENT = 0.7;

  private Process demo;

  @AfterEach
  void kill() {
    if (demo != null) {
      demo.destroyForcibly();
    }
  }

  @Test
  void servesTheLiveViewAndStopsOnSigterm(@TempDir Path profile) throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Path home = Path.of("..").toAbsolutePath().normalize();
    List<String> command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-D" + DemoCommand.HOME_PROPERTY + "=" + home,
            "-cp",
            System.getProperty("java.class.path"),
            Maskstream.class.getName(),
            "demo",
            "--port",
            Integer.toString(port));
    demo = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(demo.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    assertThat(line).as("demo start line").isNotNull().contains("http://127.0.0.1:" + port + "/");

    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    HttpResponse<String> page =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(page.statusCode()).isEqualTo(200);

    HttpResponse<Stream<String>> events =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/events"))
                .header("Accept", "text/event-stream")
                .build(),
            HttpResponse.BodyHandlers.ofLines());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    boolean sawFrame = false;
    double topScore = 0;
    String zones = null;
    var lines = events.body().iterator();
    boolean zonesNext = false;
    boolean frameNext = false;
    ObjectMapper json = new ObjectMapper();
    while ((topScore < CONFIDENT || zones == null)
        && System.nanoTime() < deadline
        && lines.hasNext()) {
      String sse = lines.next();
      sawFrame |= sse.equals("event: frame");
      if (zonesNext && sse.startsWith("data:")) {
        zones = sse;
      }
      if (frameNext && sse.startsWith("data:")) {
        for (JsonNode d : json.readTree(sse.substring(5)).path("detections")) {
          topScore = Math.max(topScore, d.path("score").asDouble());
        }
      }
      zonesNext = sse.equals("event: zones") || (zonesNext && !sse.startsWith("data:"));
      frameNext = sse.equals("event: frame") || (frameNext && !sse.startsWith("data:"));
    }
    assertThat(sawFrame).as("a frame pushed to the browser connection").isTrue();
    assertThat(topScore).as("the best detection score seen").isGreaterThanOrEqualTo(CONFIDENT);
    // the clip's camera has the demo's line and zone
    assertThat(zones).as("zones pushed to the browser").contains("shapes-clip", "middle", "corner");
    events.body().close();

    if (LivePage.available()) {
      try (LivePage browser = LivePage.open("http://127.0.0.1:" + port + "/", profile)) {
        await()
            .atMost(Duration.ofSeconds(120))
            .until(
                () -> {
                  String n = browser.tileData("shapes-clip", "detections");
                  return n != null && !n.isEmpty() && Integer.parseInt(n) >= 2;
                });
        browser.screenshot(Path.of("target", "demo.png"));
      }
    }

    demo.destroy();
    assertThat(demo.waitFor(90, TimeUnit.SECONDS)).as("demo stops on SIGTERM").isTrue();
  }
}
