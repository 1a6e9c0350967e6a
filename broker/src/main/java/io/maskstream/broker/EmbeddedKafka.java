package io.maskstream.broker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.metadata.storage.Formatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka (KRaft broker and controller in one server) running inside this JVM,
 * listening on {@code 127.0.0.1} only.
 *
 * <p>Ownership and lifetime: the caller that builds an instance owns it and must {@link #close()}
 * it. {@link #start()} formats the data dir on first use (only when it holds no {@code
 * meta.properties}) and returns once the broker answers clients; {@link #stop()} shuts it down in a
 * controlled way and keeps the data dir and ports, so {@link #start()} can bring the same broker
 * back with its data. {@link #close()} stops the broker and deletes the data dir if it was a
 * temporary one (no {@link Builder#dataDir(Path)} given); a given data dir is always kept, and a
 * new instance on it sees the old topics and records. Instances are thread-safe; several may run at
 * once on different ports and data dirs.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.builder().port(9092).build().start()) {
 *   String bootstrap = kafka.bootstrapServers(); // "127.0.0.1:9092"
 * }
 * }</pre>
 *
 * <p><b>Secured mode</b> ({@link Builder#secure(Path)}): clients connect with SASL_SSL and
 * SCRAM-SHA-512 on {@link #port()}, or with mutual TLS (a client certificate of the broker's CA,
 * the principal being its CN) on {@link #mtlsPort()}, which is also the broker's own inter-broker
 * listener; the controller listener takes the broker's certificate only. The {@code
 * StandardAuthorizer} allows each {@link BrokerRole}'s user what its ACLs say and nobody anything
 * else. The CA, certificates, users and passwords are created in the secrets folder on the first
 * start and reused afterwards ({@link SecureBrokerFiles}); each start (re)writes the users' SCRAM
 * credentials and ACLs, and each role's client properties file with the current address.
 */
public final class EmbeddedKafka implements AutoCloseable {

  /** The only address the broker listens on and advertises. */
  public static final String HOST = "127.0.0.1";

  /** Largest record batch the broker accepts by default: an 8 MiB frame plus headroom. */
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

  static final int NODE_ID = 1;
  static final String LOG_DIR_NAME = "kafka-logs";
  static final String META_PROPERTIES = "meta.properties";
  static final String SERVER_PROPERTIES = "server.properties";
  static final String LOCK_FILE = ".maskstream-broker.lock";
  static final String CONTROLLER_LISTENER = "CONTROLLER";
  static final String BROKER_LISTENER = "PLAINTEXT";
  static final String CLIENT_LISTENER = "CLIENT";
  static final String INTERNAL_LISTENER = "INTERNAL";

  /** The authorizer of the secured mode. */
  static final String AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer";

  private static final int SCRAM_ITERATIONS = 4096;
  private static final int PORT_ATTEMPTS = 5;

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

  private final Map<String, String> brokerConfig;
  private final Duration startTimeout;

  private Path dataDir;
  private boolean temporaryDataDir;
  private int port;
  private int controllerPort;
  private int mtlsPort;
  private final Path secretsDir;
  private SecureBrokerFiles secrets;
  private KafkaRaftServer server;
  private FileChannel lockChannel;
  private FileLock lock;
  private boolean closed;

  private EmbeddedKafka(Builder builder) {
    this.brokerConfig = Map.copyOf(builder.brokerConfig);
    this.startTimeout = builder.startTimeout;
    this.port = builder.port;
    this.controllerPort = builder.controllerPort;
    this.dataDir = builder.dataDir;
    this.secretsDir = builder.secretsDir;
    this.mtlsPort = builder.mtlsPort;
  }

  /** Returns a builder; every setting is optional. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts the broker and waits until it answers a {@code describeCluster} request. Does nothing if
   * it is already running.
   *
   * @return this instance, for chaining
   * @throws BrokerException when the port is taken, the data dir is not writable or in use, the
   *     configuration is invalid, or the broker does not answer within the start timeout
   * @throws IllegalStateException after {@link #close()}
   */
  public synchronized EmbeddedKafka start() {
    if (closed) {
      throw new IllegalStateException("EmbeddedKafka is closed; build a new instance");
    }
    if (server != null) {
      return this;
    }
    long t0 = System.nanoTime();
    prepareDataDir();
    if (secretsDir != null && secrets == null) {
      secrets = SecureBrokerFiles.createOrLoad(secretsDir);
    }
    acquireLock();
    try {
      startServer();
      awaitReady(t0);
      if (secrets != null) {
        secure(t0);
      }
    } catch (RuntimeException | Error e) {
      shutdownServer();
      releaseLock();
      throw e;
    }
    LOG.info(
        "Kafka broker ready at {} (data dir {}) in {} ms",
        bootstrapServers(),
        dataDir,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    return this;
  }

  /**
   * Shuts the broker down in a controlled way and waits until it has stopped, keeping the data dir
   * and ports for a later {@link #start()}. Does nothing if it is not running.
   */
  public synchronized void stop() {
    if (server == null) {
      return;
    }
    long t0 = System.nanoTime();
    shutdownServer();
    releaseLock();
    LOG.info(
        "Kafka broker at {} stopped in {} ms",
        bootstrapServers(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
  }

  /** Stops and starts the broker on the same ports and data dir; records survive. */
  public synchronized void restart() {
    stop();
    start();
  }

  /** Whether the broker is running (started and not stopped). */
  public synchronized boolean isRunning() {
    return server != null;
  }

  /**
   * Returns the client bootstrap address, {@code "127.0.0.1:PORT"}.
   *
   * @throws IllegalStateException if port 0 was asked for and the broker was never started
   */
  public synchronized String bootstrapServers() {
    return HOST + ":" + port();
  }

  /**
   * Returns the client (PLAINTEXT) port; a free one is chosen on the first start if 0 was asked.
   *
   * @throws IllegalStateException if port 0 was asked for and the broker was never started
   */
  public synchronized int port() {
    if (port == 0) {
      throw new IllegalStateException("the port is chosen on start(); start the broker first");
    }
    return port;
  }

  /** Whether this broker runs in the secured mode. */
  public boolean isSecure() {
    return secretsDir != null;
  }

  /**
   * Returns the mutual-TLS (and internal) listener's address, {@code "127.0.0.1:PORT"}.
   *
   * @throws IllegalStateException if the broker is not secured, or was never started
   */
  public synchronized String mtlsBootstrapServers() {
    return HOST + ":" + mtlsPort();
  }

  /**
   * Returns the mutual-TLS (and internal) listener's port of the secured mode.
   *
   * @throws IllegalStateException if the broker is not secured, or was never started
   */
  public synchronized int mtlsPort() {
    if (secretsDir == null) {
      throw new IllegalStateException("the broker is not secured: no mutual-TLS listener");
    }
    if (mtlsPort == 0) {
      throw new IllegalStateException("the port is chosen on start(); start the broker first");
    }
    return mtlsPort;
  }

  /**
   * The secrets of the secured mode: passwords, stores and each role's client properties file.
   *
   * @throws IllegalStateException if the broker is not secured, or was never started
   */
  public synchronized SecureBrokerFiles secrets() {
    if (secrets == null) {
      throw new IllegalStateException(
          secretsDir == null ? "the broker is not secured" : "start the broker first");
    }
    return secrets;
  }

  /**
   * Client settings with every right: the bootstrap address for the unsecured broker; the broker's
   * own identity (a super user) on its internal listener for the secured one.
   */
  public synchronized Map<String, Object> superUserClientConfig() {
    Map<String, Object> config = new LinkedHashMap<>();
    if (secretsDir == null) {
      config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    } else {
      config.putAll(secrets().brokerClientConfig(mtlsBootstrapServers()));
    }
    return config;
  }

  /** Returns the KRaft controller port, or 0 if it is to be chosen and was not yet. */
  public synchronized int controllerPort() {
    return controllerPort;
  }

  /**
   * Returns the data dir (the log dir is its {@code kafka-logs} subdirectory), or {@code null} for
   * a temporary data dir before the first start.
   */
  public synchronized Path dataDir() {
    return dataDir;
  }

  /**
   * Stops the broker (controlled shutdown, then waits for it) and deletes a temporary data dir.
   * Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      stop();
    } finally {
      if (temporaryDataDir && dataDir != null) {
        try {
          Utils.delete(dataDir.toFile());
        } catch (IOException e) {
          LOG.warn("Could not delete the temporary Kafka data dir {}: {}", dataDir, e.toString());
        }
      }
    }
  }

  // ---------------------------------------------------------------- start

  private void prepareDataDir() {
    try {
      if (dataDir == null) {
        dataDir = Files.createTempDirectory("maskstream-kafka-");
        temporaryDataDir = true;
      }
      Files.createDirectories(dataDir.resolve(LOG_DIR_NAME));
    } catch (IOException | SecurityException e) {
      throw new BrokerException(
          "Kafka data dir "
              + (dataDir == null ? "(temporary)" : dataDir)
              + " is not writable: "
              + e,
          e);
    }
    if (!Files.isWritable(dataDir) || !Files.isWritable(dataDir.resolve(LOG_DIR_NAME))) {
      throw new BrokerException("Kafka data dir " + dataDir + " is not writable");
    }
  }

  private void acquireLock() {
    Path lockFile = dataDir.resolve(LOCK_FILE);
    try {
      lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new BrokerException("Kafka data dir " + dataDir + " is not writable: " + e, e);
    }
    try {
      lock = lockChannel.tryLock();
    } catch (OverlappingFileLockException | IOException e) {
      lock = null;
    }
    if (lock == null) {
      closeLockChannel();
      throw new BrokerException(
          "Kafka data dir " + dataDir + " is in use by another running broker");
    }
  }

  private void releaseLock() {
    try {
      if (lock != null) {
        lock.release();
      }
    } catch (IOException e) {
      LOG.debug("Releasing {} failed", LOCK_FILE, e);
    } finally {
      lock = null;
      closeLockChannel();
    }
  }

  private void closeLockChannel() {
    if (lockChannel != null) {
      try {
        lockChannel.close();
      } catch (IOException e) {
        LOG.debug("Closing {} failed", LOCK_FILE, e);
      }
      lockChannel = null;
    }
  }

  private void startServer() {
    int wantPort = port;
    int wantControllerPort = controllerPort;
    int wantMtlsPort = mtlsPort;
    boolean secure = secretsDir != null;
    boolean choosing = wantPort == 0 || wantControllerPort == 0 || (secure && wantMtlsPort == 0);
    for (int attempt = 1; ; attempt++) {
      port = wantPort != 0 ? wantPort : freePort(wantControllerPort);
      controllerPort = wantControllerPort != 0 ? wantControllerPort : freePort(port);
      if (secure) {
        mtlsPort = wantMtlsPort != 0 ? wantMtlsPort : freePort(port);
        if (mtlsPort == controllerPort) {
          mtlsPort = freePort(controllerPort);
        }
      }
      try {
        requirePortFree(port, "client", wantPort == 0);
        requirePortFree(controllerPort, "controller", wantControllerPort == 0);
        if (secure) {
          requirePortFree(mtlsPort, "mutual-TLS", wantMtlsPort == 0);
        }
        startServerOnce();
        return;
      } catch (RuntimeException e) {
        port = wantPort;
        controllerPort = wantControllerPort;
        mtlsPort = wantMtlsPort;
        if (!(e instanceof PortInUseException)) {
          throw e;
        }
        if (!choosing || attempt >= PORT_ATTEMPTS) {
          throw new BrokerException(e.getMessage(), e.getCause());
        }
        LOG.debug("{}; retrying with other free ports", e.getMessage());
      }
    }
  }

  private void startServerOnce() {
    Path logDir = dataDir.resolve(LOG_DIR_NAME);
    Map<String, String> overrides = new LinkedHashMap<>();
    if (secrets != null) {
      overrides.putAll(securityConfig(secrets, port, mtlsPort, controllerPort));
    }
    overrides.putAll(brokerConfig);
    Properties props = serverProperties(logDir, port, controllerPort, overrides);
    writeServerProperties(props);
    KafkaConfig config;
    try {
      config = new KafkaConfig(props);
    } catch (ConfigException e) {
      throw new BrokerException("Invalid Kafka broker config: " + e.getMessage(), e);
    }
    if (!isFormatted(logDir)) {
      format(logDir);
    }
    KafkaRaftServer raftServer = new KafkaRaftServer(config, Time.SYSTEM);
    server = raftServer;
    try {
      raftServer.startup();
    } catch (RuntimeException | Error e) {
      shutdownServer();
      if (isBindFailure(e)) {
        throw new PortInUseException(
            "Kafka could not bind "
                + HOST
                + ":"
                + port
                + " or "
                + HOST
                + ":"
                + controllerPort
                + (secrets != null ? " or " + HOST + ":" + mtlsPort : "")
                + ": "
                + rootMessage(e),
            e);
      }
      throw new BrokerException(
          "Kafka broker failed to start on "
              + HOST
              + ":"
              + port
              + " (data dir "
              + dataDir
              + "): "
              + rootMessage(e),
          e);
    }
  }

  private void awaitReady(long t0) {
    long deadline = t0 + startTimeout.toNanos();
    Properties props = new Properties();
    props.putAll(superUserClientConfig());
    props.put(AdminClientConfig.CLIENT_ID_CONFIG, "maskstream-embedded-kafka-readiness");
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
    Exception last = null;
    try (Admin admin = Admin.create(props)) {
      while (true) {
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) {
          break;
        }
        try {
          Collection<Node> nodes =
              admin.describeCluster().nodes().get(remaining, TimeUnit.NANOSECONDS);
          if (!nodes.isEmpty()) {
            return;
          }
        } catch (ExecutionException | TimeoutException e) {
          last = e;
        }
        Thread.sleep(50);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BrokerException("Interrupted while waiting for Kafka at " + bootstrapServers(), e);
    }
    throw new BrokerException(
        "Kafka broker at "
            + bootstrapServers()
            + " did not answer within "
            + startTimeout.toSeconds()
            + " s"
            + (last == null ? "" : ": " + rootMessage(last)),
        last);
  }

  /**
   * Writes the users' SCRAM credentials and the roles' ACLs (as the broker itself, a super user),
   * waits until a role's user can log in on the client listener and writes the client properties.
   */
  private void secure(long t0) {
    long deadline = t0 + startTimeout.toNanos();
    Properties props = new Properties();
    props.putAll(superUserClientConfig());
    props.put(AdminClientConfig.CLIENT_ID_CONFIG, "maskstream-embedded-kafka-security");
    try (Admin admin = Admin.create(props)) {
      List<UserScramCredentialAlteration> users = new java.util.ArrayList<>();
      for (BrokerRole role : BrokerRole.values()) {
        users.add(
            new UserScramCredentialUpsertion(
                role.userName(),
                new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS),
                secrets.password(role)));
      }
      admin.alterUserScramCredentials(users).all().get(remaining(deadline), TimeUnit.NANOSECONDS);
      admin.createAcls(BrokerRole.allAcls()).all().get(remaining(deadline), TimeUnit.NANOSECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new BrokerException(
          "Kafka broker at "
              + bootstrapServers()
              + " did not take its users and ACLs: "
              + rootMessage(e),
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BrokerException("Interrupted while securing Kafka at " + bootstrapServers(), e);
    }
    awaitLogin(deadline);
    secrets.writeClientProperties(bootstrapServers(), mtlsBootstrapServers());
  }

  /** Waits until the admin role logs in on the client listener (credentials have propagated). */
  private void awaitLogin(long deadline) {
    Properties props = new Properties();
    props.putAll(secrets.saslClientConfig(BrokerRole.ADMIN, bootstrapServers()));
    props.put(AdminClientConfig.CLIENT_ID_CONFIG, "maskstream-embedded-kafka-readiness");
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
    Exception last = null;
    while (System.nanoTime() < deadline) {
      try (Admin admin = Admin.create(props)) {
        admin.describeCluster().nodes().get(remaining(deadline), TimeUnit.NANOSECONDS);
        return;
      } catch (ExecutionException | TimeoutException e) {
        last = e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new BrokerException(
            "Interrupted while waiting for Kafka at " + bootstrapServers(), e);
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new BrokerException(
            "Interrupted while waiting for Kafka at " + bootstrapServers(), e);
      }
    }
    throw new BrokerException(
        "Kafka broker at "
            + bootstrapServers()
            + " did not let its users log in within "
            + startTimeout.toSeconds()
            + " s"
            + (last == null ? "" : ": " + rootMessage(last)),
        last);
  }

  private static long remaining(long deadline) {
    return Math.max(1, deadline - System.nanoTime());
  }

  private void shutdownServer() {
    KafkaRaftServer s = server;
    server = null;
    if (s == null) {
      return;
    }
    try {
      s.shutdown();
      s.awaitShutdown();
    } catch (RuntimeException e) {
      LOG.warn("Kafka broker at {}:{} did not shut down cleanly: {}", HOST, port, e.toString());
    }
  }

  private void writeServerProperties(Properties props) {
    try (OutputStream out = Files.newOutputStream(dataDir.resolve(SERVER_PROPERTIES))) {
      props.store(
          out, "Written by maskstream EmbeddedKafka on each start; edits here have no effect");
    } catch (IOException e) {
      throw new BrokerException("Kafka data dir " + dataDir + " is not writable: " + e, e);
    }
  }

  // ---------------------------------------------------------------- helpers (package-private for
  // tests)

  /**
   * Builds the single-node KRaft server configuration; {@code overrides} are applied last and win.
   */
  static Properties serverProperties(
      Path logDir, int port, int controllerPort, Map<String, String> overrides) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("process.roles", "broker,controller");
    p.put("node.id", String.valueOf(NODE_ID));
    p.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
    p.put(
        "listeners",
        BROKER_LISTENER
            + "://"
            + HOST
            + ":"
            + port
            + ","
            + CONTROLLER_LISTENER
            + "://"
            + HOST
            + ":"
            + controllerPort);
    p.put("advertised.listeners", BROKER_LISTENER + "://" + HOST + ":" + port);
    p.put(
        "listener.security.protocol.map",
        BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
    p.put("controller.listener.names", CONTROLLER_LISTENER);
    p.put("inter.broker.listener.name", BROKER_LISTENER);
    p.put("log.dirs", logDir.toAbsolutePath().toString());
    p.put("num.partitions", "1");
    p.put("default.replication.factor", "1");
    p.put("min.insync.replicas", "1");
    p.put("auto.create.topics.enable", "true");
    // internal topics: one replica, and few partitions so that they are created fast
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "1");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "1");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("share.coordinator.state.topic.num.partitions", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    // large records (8 MiB video frames plus batch overhead)
    p.put("message.max.bytes", String.valueOf(DEFAULT_MAX_MESSAGE_BYTES));
    p.put("replica.fetch.max.bytes", String.valueOf(DEFAULT_MAX_MESSAGE_BYTES));
    // a single node: heartbeat often so that start and controlled shutdown are quick
    p.put("broker.heartbeat.interval.ms", "500");
    p.put("broker.session.timeout.ms", "9000");
    p.putAll(overrides);
    Properties props = new Properties();
    props.putAll(p);
    return props;
  }

  /**
   * The listeners, TLS stores, SASL and authorizer settings of the secured mode; applied over
   * {@link #serverProperties} defaults.
   */
  static Map<String, String> securityConfig(
      SecureBrokerFiles files, int port, int mtlsPort, int controllerPort) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put(
        "listeners",
        CLIENT_LISTENER
            + "://"
            + HOST
            + ":"
            + port
            + ","
            + INTERNAL_LISTENER
            + "://"
            + HOST
            + ":"
            + mtlsPort
            + ","
            + CONTROLLER_LISTENER
            + "://"
            + HOST
            + ":"
            + controllerPort);
    p.put(
        "advertised.listeners",
        CLIENT_LISTENER
            + "://"
            + HOST
            + ":"
            + port
            + ","
            + INTERNAL_LISTENER
            + "://"
            + HOST
            + ":"
            + mtlsPort);
    p.put(
        "listener.security.protocol.map",
        CLIENT_LISTENER
            + ":SASL_SSL,"
            + INTERNAL_LISTENER
            + ":SSL,"
            + CONTROLLER_LISTENER
            + ":SSL");
    p.put("inter.broker.listener.name", INTERNAL_LISTENER);
    p.put("sasl.enabled.mechanisms", SecureBrokerFiles.SCRAM_MECHANISM);
    p.put(
        "listener.name.client.scram-sha-512.sasl.jaas.config",
        "org.apache.kafka.common.security.scram.ScramLoginModule required;");
    p.put("ssl.keystore.location", files.brokerKeystore().toString());
    p.put("ssl.keystore.type", "PKCS12");
    p.put("ssl.keystore.password", files.storePassword());
    p.put("ssl.key.password", files.storePassword());
    p.put("ssl.truststore.location", files.truststore().toString());
    p.put("ssl.truststore.type", "PKCS12");
    p.put("ssl.truststore.password", files.storePassword());
    p.put("listener.name.internal.ssl.client.auth", "required");
    p.put("listener.name.controller.ssl.client.auth", "required");
    // a certificate's principal is its CN: User:broker, User:ingest, ...
    p.put("ssl.principal.mapping.rules", "RULE:^.*CN=([a-zA-Z0-9_.-]+).*$/$1/,DEFAULT");
    p.put("authorizer.class.name", AUTHORIZER);
    p.put("super.users", "User:" + SecureBrokerFiles.BROKER_USER);
    p.put("allow.everyone.if.no.acl.found", "false");
    return p;
  }

  /** Whether the log dir was already formatted (holds {@code meta.properties}). */
  static boolean isFormatted(Path logDir) {
    return Files.isRegularFile(logDir.resolve(META_PROPERTIES));
  }

  /** Formats a fresh log dir (which also holds the metadata log) with a new random cluster id. */
  static void format(Path logDir) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8)) {
      new Formatter()
          .setPrintStream(print)
          .setNodeId(NODE_ID)
          .setClusterId(Uuid.randomUuid().toString())
          .setControllerListenerName(CONTROLLER_LISTENER)
          .setMetadataLogDirectory(logDir.toString())
          .addDirectory(logDir.toString())
          .run();
    } catch (Exception e) {
      throw new BrokerException(
          "Could not format Kafka log dir " + logDir + ": " + rootMessage(e), e);
    }
    LOG.debug("{}", out.toString(StandardCharsets.UTF_8).trim());
  }

  /** Returns a port that was free on 127.0.0.1 a moment ago, other than {@code except}. */
  static int freePort(int except) {
    for (int i = 0; i < 10; i++) {
      try (ServerSocket socket = new ServerSocket()) {
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(HOST, 0));
        int p = socket.getLocalPort();
        if (p != except) {
          return p;
        }
      } catch (IOException e) {
        throw new BrokerException("Could not find a free port on " + HOST + ": " + e, e);
      }
    }
    throw new BrokerException("Could not find a free port on " + HOST);
  }

  /** Binds the port briefly to tell "in use" apart early; auto-chosen ports are retried. */
  private static void requirePortFree(int port, String what, boolean autoChosen) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(HOST, port));
    } catch (IOException e) {
      String message = "Kafka " + what + " port " + HOST + ":" + port + " is already in use";
      if (autoChosen) {
        throw new PortInUseException(message, e);
      }
      throw new BrokerException(message, e);
    }
  }

  private static boolean isBindFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException
          || (t.getMessage() != null && t.getMessage().contains("Address already in use"))) {
        return true;
      }
    }
    return false;
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + root + ")";
  }

  /** A port could not be bound; retried with other ports when they were chosen automatically. */
  private static final class PortInUseException extends BrokerException {
    private static final long serialVersionUID = 1L;

    PortInUseException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Collects the settings of an {@link EmbeddedKafka}; not thread-safe, each {@link #build()}
   * creates a new, not yet started instance.
   */
  public static final class Builder {
    private int port;
    private int controllerPort;
    private Path dataDir;
    private final Map<String, String> brokerConfig = new LinkedHashMap<>();
    private Duration startTimeout = Duration.ofSeconds(60);
    private Path secretsDir;
    private int mtlsPort;

    private Builder() {}

    /**
     * Runs the secured mode, with the CA, certificates, users and client properties in {@code
     * secretsDir} (created on the first start, reused afterwards); see {@link EmbeddedKafka}.
     */
    public Builder secure(Path secretsDir) {
      this.secretsDir = Objects.requireNonNull(secretsDir, "secretsDir").toAbsolutePath();
      return this;
    }

    /** The secured mode's mutual-TLS listener port; 0 (the default) picks a free one on start. */
    public Builder mtlsPort(int mtlsPort) {
      this.mtlsPort = checkPort(mtlsPort);
      return this;
    }

    /** The client (PLAINTEXT) port on 127.0.0.1; 0 (the default) picks a free one on start. */
    public Builder port(int port) {
      this.port = checkPort(port);
      return this;
    }

    /** The KRaft controller port on 127.0.0.1; 0 (the default) picks a free one on start. */
    public Builder controllerPort(int controllerPort) {
      this.controllerPort = checkPort(controllerPort);
      return this;
    }

    /**
     * The data dir to use and keep (created if missing); by default a temporary one is created on
     * start and deleted on close.
     */
    public Builder dataDir(Path dataDir) {
      this.dataDir = Objects.requireNonNull(dataDir, "dataDir").toAbsolutePath();
      return this;
    }

    /** Sets or overrides one broker setting (server.properties key), applied last. */
    public Builder brokerConfig(String key, String value) {
      brokerConfig.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, key));
      return this;
    }

    /** Sets or overrides several broker settings (server.properties keys), applied last. */
    public Builder brokerConfig(Map<String, String> config) {
      config.forEach(this::brokerConfig);
      return this;
    }

    /** How long {@link EmbeddedKafka#start()} waits for the broker to answer; 60 s by default. */
    public Builder startTimeout(Duration startTimeout) {
      if (startTimeout.isNegative() || startTimeout.isZero()) {
        throw new IllegalArgumentException("startTimeout must be positive: " + startTimeout);
      }
      this.startTimeout = startTimeout;
      return this;
    }

    /** Creates the (not yet started) broker. */
    public EmbeddedKafka build() {
      if (port != 0 && port == controllerPort) {
        throw new IllegalArgumentException(
            "port and controllerPort must differ (both are " + port + ")");
      }
      return new EmbeddedKafka(this);
    }

    private static int checkPort(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port out of range 0-65535: " + port);
      }
      return port;
    }
  }
}
