package io.maskstream.launcher;

import io.maskstream.broker.BrokerException;
import io.maskstream.broker.BrokerRole;
import io.maskstream.broker.EmbeddedKafka;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.Topics;
import io.maskstream.schemas.cli.UserException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code maskstream broker}: a real single-node Kafka (KRaft) in this process, until stopped. */
@Command(
    name = "broker",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a real single-node Kafka (KRaft broker and controller) for development, until Ctrl-C.",
      "Listens on 127.0.0.1, keeps its data in --data-dir across restarts and creates the"
          + " maskstream topics.",
      "With --secure DIR: SASL_SSL (SCRAM-SHA-512) and mutual TLS only, ACLs per role, and a"
          + " --kafka-config file per role in DIR."
    })
final class BrokerCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(BrokerCommand.class);

  /** How long a start may take before the command gives up. */
  static final Duration START_TIMEOUT = Duration.ofMinutes(5);

  @Option(
      names = "--port",
      paramLabel = "PORT",
      defaultValue = "9092",
      description = "Client port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
  int port;

  @Option(
      names = "--controller-port",
      paramLabel = "PORT",
      defaultValue = "0",
      description = "KRaft controller port (default: a free one).")
  int controllerPort;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description = "Where Kafka keeps its data (default: ~/.maskstream/broker).")
  Path dataDir;

  @Option(
      names = "--partitions",
      paramLabel = "N",
      defaultValue = "" + Topics.DEFAULT_PARTITIONS,
      description = "Partitions of the per-camera topics it creates (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(
      names = "--secure",
      paramLabel = "DIR",
      description =
          "Secured mode: clients need TLS and a user (SCRAM-SHA-512) or a client certificate, and"
              + " may do what their role's ACLs allow. DIR holds the CA, certificates, passwords"
              + " and the client properties ingest.properties, detector.properties,"
              + " sink.properties, publisher.properties and admin.properties (created on the first"
              + " start, reused afterwards; keep it private).")
  Path secure;

  @Option(
      names = "--mtls-port",
      paramLabel = "PORT",
      defaultValue = "0",
      description = "With --secure: the mutual-TLS listener's port (default: a free one).")
  int mtlsPort;

  @Option(
      names = "--broker-config",
      paramLabel = "KEY=VALUE",
      description = "Any Kafka broker setting, e.g. --broker-config log.retention.hours=2.")
  Map<String, String> brokerConfig = Map.of();

  @Override
  public Integer call() throws InterruptedException {
    if (port < 0 || port > 65535) {
      throw new UserException("--port must be 0..65535, got " + port);
    }
    if (partitions < 1) {
      throw new UserException("--partitions must be at least 1, got " + partitions);
    }
    Path dir =
        dataDir != null
            ? dataDir
            : Path.of(System.getProperty("user.home"), ".maskstream", "broker");
    if (mtlsPort < 0 || mtlsPort > 65535) {
      throw new UserException("--mtls-port must be 0..65535, got " + mtlsPort);
    }
    EmbeddedKafka.Builder builder =
        EmbeddedKafka.builder()
            .port(port)
            .controllerPort(controllerPort)
            .dataDir(dir)
            .brokerConfig(brokerConfig)
            // a broker recovering its logs after a crash, on a busy machine, may take minutes:
            // it is waited for rather than given up on
            .startTimeout(START_TIMEOUT);
    if (secure != null) {
      builder.secure(secure).mtlsPort(mtlsPort);
    }
    EmbeddedKafka kafka = builder.build();
    CountDownLatch stopped = new CountDownLatch(1);
    try {
      kafka.start();
    } catch (BrokerException e) {
      throw new UserException(e.getMessage(), e);
    }
    Thread hook =
        new Thread(
            () -> {
              LOG.info("Stopping the Kafka broker");
              kafka.close();
              stopped.countDown();
            },
            "broker-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try (Admin admin = Admin.create(kafka.superUserClientConfig())) {
      List<String> created =
          Topics.ensure(
              admin, Topics.specs(TopicNames.DEFAULTS, partitions), Duration.ofSeconds(30));
      LOG.info("Topics ready ({} created)", created.size());
    }
    if (secure != null) {
      System.out.println(
          "maskstream broker: Kafka at "
              + kafka.bootstrapServers()
              + " (SASL_SSL, SCRAM-SHA-512) and "
              + kafka.mtlsBootstrapServers()
              + " (mutual TLS), data dir "
              + dir.toAbsolutePath()
              + "; --kafka-config files per role in "
              + secure.toAbsolutePath()
              + ": "
              + String.join(
                  ", ",
                  java.util.Arrays.stream(BrokerRole.values())
                      .map(r -> r.userName() + ".properties")
                      .toList())
              + "; Ctrl-C to stop");
    } else {
      System.out.println(
          "maskstream broker: Kafka at "
              + kafka.bootstrapServers()
              + " (data dir "
              + dir.toAbsolutePath()
              + "); Ctrl-C to stop");
    }
    System.out.flush();
    stopped.await();
    return 0;
  }
}
