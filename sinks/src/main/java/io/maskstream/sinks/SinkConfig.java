package io.maskstream.sinks;

import io.maskstream.schemas.TopicNames;
import io.maskstream.sinks.web.WebAuth;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * Everything a sink needs to run, immutable once built: the Kafka client settings, topic names,
 * consumer group, metrics endpoint, and the settings of the one sink being run ({@link Web}, {@link
 * Postgres} or {@link Jsonl}).
 *
 * <p>Defaults live here, in one place; the command line ({@link SinkCommand}) only overrides them.
 *
 * @param kafka Kafka client properties (copied; unknown keys are passed to the clients as-is)
 * @param topics topic names, from the {@code maskstream.topic.*} keys of {@code kafka}
 * @param groupId the sink's own consumer group
 * @param metricsHost bind address of the Prometheus endpoint ({@code /metrics})
 * @param metricsPort port of the Prometheus endpoint; 0 picks a free port, -1 turns it off (the web
 *     sink serves {@code /metrics} on its own port and ignores both)
 * @param joinTimeout how long detections wait for their masks (and the reverse) before the sink
 *     goes on without the missing half
 */
public record SinkConfig(
    Map<String, Object> kafka,
    TopicNames topics,
    String groupId,
    String metricsHost,
    int metricsPort,
    Duration joinTimeout) {

  /** Default wait for the other half of a frame's events. */
  public static final Duration DEFAULT_JOIN_TIMEOUT = Duration.ofSeconds(10);

  /** Copies {@code kafka} and validates the rest. */
  public SinkConfig {
    kafka = Map.copyOf(kafka);
    Objects.requireNonNull(topics, "topics");
    if (groupId == null || groupId.isBlank()) {
      throw new IllegalArgumentException("the consumer group id must not be empty");
    }
    Objects.requireNonNull(metricsHost, "metricsHost");
    if (metricsPort < -1 || metricsPort > 65535) {
      throw new IllegalArgumentException("metrics port must be -1 (off), 0 (any) or 1-65535");
    }
    if (joinTimeout.isNegative() || joinTimeout.isZero()) {
      throw new IllegalArgumentException("join timeout must be positive");
    }
  }

  /** A config from Kafka client properties, with the default topic names they select. */
  public static SinkConfig of(Properties clientProperties, String groupId, int metricsPort) {
    Map<String, Object> kafka = new HashMap<>();
    clientProperties.forEach((k, v) -> kafka.put(k.toString(), v));
    return new SinkConfig(
        kafka, TopicNames.from(kafka), groupId, "127.0.0.1", metricsPort, DEFAULT_JOIN_TIMEOUT);
  }

  /** This config with another consumer group. */
  public SinkConfig withGroupId(String newGroupId) {
    return new SinkConfig(kafka, topics, newGroupId, metricsHost, metricsPort, joinTimeout);
  }

  /** This config with another join timeout. */
  public SinkConfig withJoinTimeout(Duration timeout) {
    return new SinkConfig(kafka, topics, groupId, metricsHost, metricsPort, timeout);
  }

  /** This config with another metrics endpoint. */
  public SinkConfig withMetrics(String host, int port) {
    return new SinkConfig(kafka, topics, groupId, host, port, joinTimeout);
  }

  /**
   * Settings of the live web view.
   *
   * <p>A view bound to anything but a loopback address can be reached from other machines, so it
   * needs {@code auth} - or {@code unauthenticated}, said explicitly, when a proxy in front of it
   * authenticates.
   *
   * @param host bind address
   * @param port HTTP port; 0 picks a free one
   * @param framesPerCamera at most how many recent frames per camera are kept to join with late
   *     events (the view keeps twice the detector's lag, at least 3 s, within this bound)
   * @param backlogPerPartition how many records per partition are replayed on start so the page is
   *     not empty
   * @param auth who may see the page, its events and its metrics ({@link WebAuth#none()}: anyone)
   * @param unauthenticated serve a non-loopback {@code host} without {@code auth}
   */
  public record Web(
      String host,
      int port,
      int framesPerCamera,
      int backlogPerPartition,
      WebAuth auth,
      boolean unauthenticated) {
    /** Default bind address: local only. */
    public static final String DEFAULT_HOST = "127.0.0.1";

    /** Default port. */
    public static final int DEFAULT_PORT = 8080;

    /**
     * Validates the values.
     *
     * @throws IllegalArgumentException for a value out of range, or a non-loopback {@code host}
     *     without {@code auth} nor {@code unauthenticated}
     */
    public Web {
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(auth, "auth");
      if (host.isBlank()) {
        throw new IllegalArgumentException(
            "--host must not be empty: give an address such as 127.0.0.1 or 0.0.0.0");
      }
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("--port must be 0-65535, got " + port);
      }
      if (framesPerCamera < 1 || framesPerCamera > 10_000) {
        throw new IllegalArgumentException(
            "--frames-per-camera must be 1-10000, got " + framesPerCamera);
      }
      if (backlogPerPartition < 0 || backlogPerPartition > 100_000) {
        throw new IllegalArgumentException(
            "--backlog must be 0-100000 records per partition, got " + backlogPerPartition);
      }
      if (unauthenticated && !auth.isEmpty()) {
        throw new IllegalArgumentException(
            "--allow-unauthenticated and credentials (--auth-file, --token-file, "
                + WebAuth.USERS_ENV
                + ", "
                + WebAuth.TOKEN_ENV
                + ") exclude each other: drop one");
      }
      if (auth.isEmpty() && !unauthenticated && !isLoopback(host)) {
        throw new IllegalArgumentException(
            "--host "
                + host
                + " can be reached from other machines, so the page needs credentials: give"
                + " --auth-file FILE (user:password lines) or --token-file FILE, or"
                + " --allow-unauthenticated if a proxy in front of it authenticates");
      }
    }

    /** A view open to anyone who reaches it: fine on a loopback {@code host} only. */
    public Web(String host, int port, int framesPerCamera, int backlogPerPartition) {
      this(host, port, framesPerCamera, backlogPerPartition, WebAuth.none(), false);
    }

    /** Default {@code framesPerCamera}: 10 s of a 15 fps camera. */
    public static final int DEFAULT_FRAMES_PER_CAMERA = 150;

    /** Default {@code backlogPerPartition}. */
    public static final int DEFAULT_BACKLOG = 30;

    /** The view bound to {@code host:port}, with default buffers, open to anyone. */
    public static Web of(String host, int port) {
      return new Web(host, port, DEFAULT_FRAMES_PER_CAMERA, DEFAULT_BACKLOG);
    }

    /** The view bound to {@code host:port}, with default buffers, for those {@code auth} allows. */
    public static Web of(String host, int port, WebAuth auth) {
      return new Web(host, port, DEFAULT_FRAMES_PER_CAMERA, DEFAULT_BACKLOG, auth, false);
    }

    /**
     * True when every address {@code host} stands for is a loopback address ({@code 127.0.0.0/8},
     * {@code ::1}, {@code localhost}): only this machine reaches it. A name that does not resolve
     * is not.
     */
    public static boolean isLoopback(String host) {
      try {
        InetAddress[] all = InetAddress.getAllByName(host);
        return all.length > 0 && Arrays.stream(all).allMatch(InetAddress::isLoopbackAddress);
      } catch (UnknownHostException | SecurityException e) {
        return false;
      }
    }
  }

  /**
   * Settings of the PostgreSQL sink.
   *
   * @param jdbcUrl {@code jdbc:postgresql://HOST[:PORT]/DB}
   * @param user database user, or null for the URL's or the driver's default
   * @param password database password, or null
   * @param schema schema holding the tables (created by the migrations when missing)
   * @param maxBatchRecords Kafka records per database transaction at most
   * @param maxRetryBackoff the longest wait between attempts while the database is down
   */
  public record Postgres(
      String jdbcUrl,
      String user,
      String password,
      String schema,
      int maxBatchRecords,
      Duration maxRetryBackoff) {
    /** The first wait after a failed database attempt; later waits double up to the maximum. */
    public static final Duration FIRST_RETRY_BACKOFF = Duration.ofMillis(250);

    /** Validates the values. */
    public Postgres {
      Objects.requireNonNull(jdbcUrl, "jdbcUrl");
      if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
        throw new IllegalArgumentException(
            "--jdbc-url must look like jdbc:postgresql://HOST[:PORT]/DATABASE, got " + jdbcUrl);
      }
      if (schema == null || !schema.matches("[A-Za-z_][A-Za-z0-9_]{0,62}")) {
        throw new IllegalArgumentException(
            "--db-schema must be a plain identifier (letters, digits, _), got " + schema);
      }
      if (maxBatchRecords < 1) {
        throw new IllegalArgumentException("--batch must be at least 1");
      }
      if (maxRetryBackoff.compareTo(FIRST_RETRY_BACKOFF) < 0) {
        throw new IllegalArgumentException(
            "--max-retry-backoff must be at least "
                + FIRST_RETRY_BACKOFF.toMillis()
                + "ms, got "
                + maxRetryBackoff.toMillis()
                + "ms");
      }
    }
  }

  /**
   * Settings of the JSON lines sink.
   *
   * @param dir output folder (created when missing)
   * @param maxFileBytes a file is closed and a new one started once it reaches this size
   * @param maxFileAge a file is closed and a new one started once it is this old
   * @param filePrefix start of every file name
   */
  public record Jsonl(Path dir, long maxFileBytes, Duration maxFileAge, String filePrefix) {
    /** Validates the values. */
    public Jsonl {
      Objects.requireNonNull(dir, "dir");
      if (maxFileBytes < 1) {
        throw new IllegalArgumentException("--max-file-size must be positive");
      }
      if (maxFileAge.isNegative() || maxFileAge.isZero()) {
        throw new IllegalArgumentException("--max-file-age must be positive");
      }
      if (filePrefix == null || !filePrefix.matches("[A-Za-z0-9._-]{1,64}")) {
        throw new IllegalArgumentException("file prefix must use A-Z a-z 0-9 . _ - only");
      }
    }
  }
}
