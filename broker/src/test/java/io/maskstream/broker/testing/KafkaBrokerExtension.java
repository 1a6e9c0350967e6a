package io.maskstream.broker.testing;

import io.maskstream.broker.BrokerRole;
import io.maskstream.broker.EmbeddedKafka;
import io.maskstream.broker.SecureBrokerFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension that gives a test class a running single-node Kafka broker.
 *
 * <p>Register it as a static field to share one broker across the test class (started before the
 * first test, stopped and its data deleted after the last), or as an instance field for a fresh
 * broker per test:
 *
 * <pre>{@code
 * @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();
 *
 * @Test void roundTrip() {
 *   kafka.createTopic("frames", 2);
 *   Properties props = new Properties();
 *   props.put("bootstrap.servers", kafka.bootstrapServers());
 *   ...
 * }
 * }</pre>
 *
 * <p>The backend is an in-process {@link EmbeddedKafka} unless the system property {@value
 * #BACKEND_PROPERTY} is {@code testcontainers}: then it is Testcontainers' Kafka container (image
 * from {@value #IMAGE_PROPERTY}, by default {@code apache/kafka} of the kafka-clients version), and
 * the tests are skipped (JUnit assumption) where Docker or {@code
 * org.testcontainers:testcontainers-kafka} is missing. If a test stopped the broker, the next test
 * finds it started again (with its data).
 *
 * <p>{@link #secured()} gives the embedded broker's secured mode (SASL_SSL with SCRAM-SHA-512,
 * mutual TLS, ACLs per {@link BrokerRole}); {@link #clientProperties(BrokerRole)} is a role's
 * {@code --kafka-config} file, and the helpers of this class ({@link #createTopic}) act as the
 * broker's super user.
 */
public final class KafkaBrokerExtension
    implements BeforeAllCallback,
        AfterAllCallback,
        BeforeEachCallback,
        AfterEachCallback,
        ExecutionCondition {

  /** System property choosing the backend: {@code embedded} (default) or {@code testcontainers}. */
  public static final String BACKEND_PROPERTY = "maskstream.it.kafka";

  /** System property overriding the Docker image of the Testcontainers backend. */
  public static final String IMAGE_PROPERTY = "maskstream.it.kafka.image";

  /** Where the broker runs. */
  public enum Backend {
    /** {@link EmbeddedKafka} in this JVM. */
    EMBEDDED,
    /** Testcontainers' {@code KafkaContainer}; needs Docker. */
    TESTCONTAINERS
  }

  private final Backend backend;
  private final Map<String, String> brokerConfig = new LinkedHashMap<>();
  private int port;
  private BrokerHandle broker;
  private boolean classScoped;
  private boolean secure;

  /** Uses the backend named by {@value #BACKEND_PROPERTY} (embedded when unset). */
  public KafkaBrokerExtension() {
    this(backendFromSystemProperty());
  }

  private KafkaBrokerExtension(Backend backend) {
    this.backend = backend;
  }

  /** Always uses an in-process {@link EmbeddedKafka}, whatever {@value #BACKEND_PROPERTY} says. */
  public static KafkaBrokerExtension embedded() {
    return new KafkaBrokerExtension(Backend.EMBEDDED);
  }

  /**
   * Always uses an in-process {@link EmbeddedKafka} in its secured mode, with its secrets in a
   * temporary folder deleted with the broker.
   */
  public static KafkaBrokerExtension secured() {
    KafkaBrokerExtension extension = new KafkaBrokerExtension(Backend.EMBEDDED);
    extension.secure = true;
    return extension;
  }

  /** Always uses Testcontainers' Kafka; the tests are skipped where Docker is unavailable. */
  public static KafkaBrokerExtension testcontainers() {
    return new KafkaBrokerExtension(Backend.TESTCONTAINERS);
  }

  /** Sets one broker setting (server.properties key), e.g. {@code message.max.bytes}. */
  public KafkaBrokerExtension withBrokerConfig(String key, String value) {
    brokerConfig.put(Objects.requireNonNull(key), Objects.requireNonNull(value));
    return this;
  }

  /** Fixes the client port of the embedded backend (0, the default, picks a free one). */
  public KafkaBrokerExtension withPort(int port) {
    this.port = port;
    return this;
  }

  /** The backend in use. */
  public Backend backend() {
    return backend;
  }

  /** Client bootstrap address, e.g. {@code "127.0.0.1:40123"}; stable across restarts. */
  public String bootstrapServers() {
    return handle().bootstrapServers();
  }

  /** Starts the broker again after {@link #stop()}, with its data; no-op if running. */
  public void start() {
    handle().start();
  }

  /** Stops the broker (controlled shutdown), keeping its data and address. */
  public void stop() {
    handle().stop();
  }

  /** Stops and starts the broker on the same address and data dir. */
  public void restart() {
    handle().stop();
    handle().start();
  }

  /** Whether the broker is running. */
  public boolean isRunning() {
    return broker != null && broker.isRunning();
  }

  /** The embedded broker's data dir; skips the test on the Testcontainers backend. */
  public Path dataDir() {
    BrokerHandle handle = handle();
    Assumptions.assumeTrue(
        handle instanceof EmbeddedHandle, "no local data dir with the " + backend + " backend");
    return ((EmbeddedHandle) handle).kafka.dataDir();
  }

  /** The secured broker's secrets; only with {@link #secured()}. */
  public SecureBrokerFiles secrets() {
    return securedKafka().secrets();
  }

  /** The secured broker's {@code --kafka-config} file of {@code role} (SASL_SSL, SCRAM-SHA-512). */
  public Path clientProperties(BrokerRole role) {
    return secrets().clientProperties(role);
  }

  /** The secured broker's mutual-TLS address. */
  public String mtlsBootstrapServers() {
    return securedKafka().mtlsBootstrapServers();
  }

  /**
   * Client settings with every right: just the bootstrap address, or the broker's own identity on
   * its internal listener for {@link #secured()}.
   */
  public Properties superUserClientProperties() {
    Properties props = new Properties();
    BrokerHandle handle = handle();
    if (handle instanceof EmbeddedHandle) {
      props.putAll(((EmbeddedHandle) handle).kafka.superUserClientConfig());
    } else {
      props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    }
    return props;
  }

  private EmbeddedKafka securedKafka() {
    BrokerHandle handle = handle();
    if (!(handle instanceof EmbeddedHandle) || !((EmbeddedHandle) handle).kafka.isSecure()) {
      throw new IllegalStateException("not a secured broker: use KafkaBrokerExtension.secured()");
    }
    return ((EmbeddedHandle) handle).kafka;
  }

  /** Creates a topic with one replica and the given topic configs; waits until it exists. */
  public void createTopic(String name, int partitions, Map<String, String> topicConfig) {
    Properties props = superUserClientProperties();
    try (Admin admin = Admin.create(props)) {
      admin
          .createTopics(
              List.of(new NewTopic(name, partitions, (short) 1).configs(Map.copyOf(topicConfig))))
          .all()
          .get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("Could not create topic " + name + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted creating topic " + name, e);
    }
  }

  /** Creates a topic with one replica and default configs; waits until it exists. */
  public void createTopic(String name, int partitions) {
    createTopic(name, partitions, Map.of());
  }

  /** Disables (skips) the tests when the Testcontainers backend is chosen but cannot run here. */
  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    if (backend == Backend.EMBEDDED) {
      return ConditionEvaluationResult.enabled("embedded Kafka");
    }
    String unavailable = testcontainersUnavailableReason();
    return unavailable == null
        ? ConditionEvaluationResult.enabled("Docker is available")
        : ConditionEvaluationResult.disabled(unavailable);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    classScoped = true;
    ensureStarted();
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    ensureStarted();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (!classScoped) {
      close();
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close();
  }

  private void ensureStarted() {
    if (broker == null) {
      broker =
          backend == Backend.EMBEDDED
              ? new EmbeddedHandle(port, brokerConfig, secure)
              : newTestcontainersHandle(brokerConfig);
    }
    broker.start();
  }

  private static BrokerHandle newTestcontainersHandle(Map<String, String> brokerConfig) {
    String unavailable = testcontainersUnavailableReason();
    Assumptions.assumeTrue(unavailable == null, unavailable);
    return TestcontainersHandle.create(brokerConfig);
  }

  /** Why the Testcontainers backend cannot run here, or {@code null} if it can. */
  private static String testcontainersUnavailableReason() {
    try {
      Class.forName(
          "org.testcontainers.kafka.KafkaContainer",
          false,
          KafkaBrokerExtension.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      return "Testcontainers Kafka backend chosen, but org.testcontainers:testcontainers-kafka is"
          + " not on the test classpath";
    }
    return TestcontainersHandle.dockerAvailable()
        ? null
        : "Testcontainers Kafka backend chosen, but Docker is not available";
  }

  private void close() {
    BrokerHandle b = broker;
    broker = null;
    if (b != null) {
      b.close();
    }
  }

  private BrokerHandle handle() {
    if (broker == null) {
      throw new IllegalStateException(
          "KafkaBrokerExtension is not active: register it with @RegisterExtension");
    }
    return broker;
  }

  private static Backend backendFromSystemProperty() {
    String value = System.getProperty(BACKEND_PROPERTY, "embedded").trim().toLowerCase(Locale.ROOT);
    switch (value) {
      case "":
      case "embedded":
        return Backend.EMBEDDED;
      case "testcontainers":
        return Backend.TESTCONTAINERS;
      default:
        throw new IllegalArgumentException(
            BACKEND_PROPERTY + " must be 'embedded' or 'testcontainers', not '" + value + "'");
    }
  }

  /** One running (or stopped) broker of some backend. */
  interface BrokerHandle extends AutoCloseable {
    String bootstrapServers();

    void start();

    void stop();

    boolean isRunning();

    @Override
    void close();
  }

  private static final class EmbeddedHandle implements BrokerHandle {
    private final EmbeddedKafka kafka;
    private final Path secretsDir;

    EmbeddedHandle(int port, Map<String, String> brokerConfig, boolean secure) {
      EmbeddedKafka.Builder builder = EmbeddedKafka.builder().port(port).brokerConfig(brokerConfig);
      if (secure) {
        try {
          secretsDir = Files.createTempDirectory("maskstream-kafka-secrets-");
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        builder.secure(secretsDir);
      } else {
        secretsDir = null;
      }
      kafka = builder.build();
    }

    @Override
    public String bootstrapServers() {
      return kafka.bootstrapServers();
    }

    @Override
    public void start() {
      kafka.start();
    }

    @Override
    public void stop() {
      kafka.stop();
    }

    @Override
    public boolean isRunning() {
      return kafka.isRunning();
    }

    @Override
    public void close() {
      try {
        kafka.close();
      } finally {
        if (secretsDir != null) {
          try (var files = Files.walk(secretsDir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
          } catch (IOException e) {
            // a temporary folder: left for the system to clean
          }
        }
      }
    }
  }
}
