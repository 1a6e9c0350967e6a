package io.maskstream.launcher;

import io.maskstream.broker.BrokerException;
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
import org.apache.kafka.clients.admin.AdminClientConfig;
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
          + " maskstream topics."
    })
final class BrokerCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(BrokerCommand.class);

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
    EmbeddedKafka kafka =
        EmbeddedKafka.builder()
            .port(port)
            .controllerPort(controllerPort)
            .dataDir(dir)
            .brokerConfig(brokerConfig)
            .build();
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
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      List<String> created =
          Topics.ensure(
              admin, Topics.specs(TopicNames.DEFAULTS, partitions), Duration.ofSeconds(30));
      LOG.info("Topics ready ({} created)", created.size());
    }
    System.out.println(
        "maskstream broker: Kafka at "
            + kafka.bootstrapServers()
            + " (data dir "
            + dir.toAbsolutePath()
            + "); Ctrl-C to stop");
    System.out.flush();
    stopped.await();
    return 0;
  }
}
