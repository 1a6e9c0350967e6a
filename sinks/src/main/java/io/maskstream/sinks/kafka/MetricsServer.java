package io.maskstream.sinks.kafka;

import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.maskstream.sinks.SinkConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small HTTP server exposing {@code GET /metrics} (Prometheus text format) for the sinks that
 * have no web server of their own; {@link #serve} gives the web sink's server the same route.
 *
 * <p>Started by the constructor, stopped by {@link #close()}.
 */
public final class MetricsServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);

  private final Javalin app;

  /**
   * Starts serving {@code metrics} where {@code config} says, or returns {@code null} when its
   * metrics port is negative (off). The caller closes the returned server.
   */
  public static MetricsServer startIfEnabled(SinkMetrics metrics, SinkConfig config) {
    if (config.metricsPort() < 0) {
      return null;
    }
    MetricsServer server = new MetricsServer(metrics, config.metricsHost(), config.metricsPort());
    LOG.info("metrics on http://{}:{}/metrics", config.metricsHost(), server.port());
    return server;
  }

  /** Starts serving {@code metrics} on {@code host:port} (port 0: any free port). */
  public MetricsServer(SinkMetrics metrics, String host, int port) {
    app = Javalin.create(config -> serve(config, host, port, metrics));
    app.start();
  }

  /**
   * Sets up a sink's HTTP server: bound to {@code host:port}, without start-up banners, with {@code
   * GET /metrics} serving {@code metrics}. The caller may add its own routes.
   */
  public static void serve(JavalinConfig config, String host, int port, SinkMetrics metrics) {
    config.startup.showJavalinBanner = false;
    config.startup.showOldJavalinVersionWarning = false;
    config.jetty.host = host;
    config.jetty.port = port;
    config.routes.get(
        "/metrics",
        ctx ->
            ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
  }

  /** The port it listens on. */
  public int port() {
    return app.port();
  }

  @Override
  public void close() {
    app.stop();
  }
}
