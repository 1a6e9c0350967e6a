package io.maskstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

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

/**
 * {@code maskstream demo} as a user runs it: a separate JVM that brings up Kafka, ingest, the
 * detector with the bundled model and the web view, pushes frames to a browser connection, and
 * stops cleanly on SIGTERM.
 */
class DemoCommandIT {
  private Process demo;

  @AfterEach
  void kill() {
    if (demo != null) {
      demo.destroyForcibly();
    }
  }

  @Test
  void servesTheLiveViewAndStopsOnSigterm() throws Exception {
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
    String zones = null;
    var lines = events.body().iterator();
    boolean zonesNext = false;
    while ((!sawFrame || zones == null) && System.nanoTime() < deadline && lines.hasNext()) {
      String sse = lines.next();
      sawFrame |= sse.equals("event: frame");
      if (zonesNext && sse.startsWith("data:")) {
        zones = sse;
      }
      zonesNext = sse.equals("event: zones") || (zonesNext && !sse.startsWith("data:"));
    }
    assertThat(sawFrame).as("a frame pushed to the browser connection").isTrue();
    // the clip's camera has the demo's line and zone
    assertThat(zones).as("zones pushed to the browser").contains("shapes-clip", "middle", "corner");
    events.body().close();

    demo.destroy();
    assertThat(demo.waitFor(90, TimeUnit.SECONDS)).as("demo stops on SIGTERM").isTrue();
  }
}
