package io.maskstream.broker.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Reads a Prometheus text exposition, as the tests and benchmarks of the services check them. */
public final class MetricsScrape {
  private final String text;

  private MetricsScrape(String text) {
    this.text = text;
  }

  /** The text as given. */
  public static MetricsScrape of(String text) {
    return new MetricsScrape(text);
  }

  /**
   * {@code GET http://127.0.0.1:PORT/metrics}.
   *
   * @throws IOException when the endpoint does not answer 200 with Prometheus text
   */
  public static MetricsScrape fetch(int port) throws IOException, InterruptedException {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .timeout(Duration.ofSeconds(10))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    String type = response.headers().firstValue("Content-Type").orElse("");
    if (response.statusCode() != 200 || !type.startsWith("text/plain")) {
      throw new IOException(
          "/metrics on port " + port + " answered " + response.statusCode() + " " + type);
    }
    return new MetricsScrape(response.body());
  }

  /** The whole exposition. */
  public String text() {
    return text;
  }

  /**
   * Sum of the samples on the lines that start with {@code prefix}: a metric name, optionally
   * followed by the start of its labels ({@code name{camera="gate"}); 0 when there is none.
   */
  public double sum(String prefix) {
    boolean labelsGiven = prefix.indexOf('{') >= 0;
    double sum = 0;
    for (String line : text.split("\n")) {
      if (!line.startsWith(prefix) || line.length() == prefix.length()) {
        continue;
      }
      char next = line.charAt(prefix.length());
      if (labelsGiven || next == ' ' || next == '{') {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }
}
