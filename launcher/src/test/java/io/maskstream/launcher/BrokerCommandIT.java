package io.maskstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code maskstream broker} as a user runs it: a separate JVM, stopped with SIGTERM, restarted on
 * the same data dir; Debian's kcat is the client where it is installed.
 */
class BrokerCommandIT {
  private static final Path KCAT = Path.of("/usr/bin/kcat");
  private final List<Process> processes = new ArrayList<>();

  @TempDir Path dataDir;

  @AfterEach
  void killLeftovers() {
    processes.forEach(Process::destroyForcibly);
  }

  @Test
  void createsTheTopicsWithTheirConfigs() throws Exception {
    int port = freePort();
    Process broker = startBroker(port);
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(port)))) {
      assertThat(admin.listTopics().names().get())
          .contains(
              "maskstream.frames",
              "maskstream.detections",
              "maskstream.masks",
              "maskstream.models",
              "maskstream.dlq",
              "maskstream.objects",
              "maskstream.cameras");
      Config frames = config(admin, "maskstream.frames");
      assertThat(frames.get("max.message.bytes").value()).isEqualTo("8388608");
      assertThat(frames.get("retention.ms").value()).isEqualTo("3600000");
      assertThat(config(admin, "maskstream.models").get("cleanup.policy").value())
          .isEqualTo("compact");
      assertThat(config(admin, "maskstream.cameras").get("cleanup.policy").value())
          .isEqualTo("compact");
      assertThat(admin.describeTopics(List.of("maskstream.frames")).allTopicNames().get())
          .extractingByKey("maskstream.frames")
          .satisfies(d -> assertThat(d.partitions()).hasSize(4));
    }
    stop(broker);
  }

  @Test
  void kcatSeesARealBrokerAndRecordsSurviveARestart() throws Exception {
    assumeTrue(Files.isExecutable(KCAT), "Debian's kcat is not installed (apt-get install kcat)");
    int port = freePort();
    Process broker = startBroker(port);

    String metadata = exec(List.of(KCAT.toString(), "-b", bootstrap(port), "-L"), null);
    assertThat(metadata)
        .contains("1 brokers:")
        .contains("broker 1 at 127.0.0.1:" + port)
        .contains("topic \"maskstream.frames\" with 4 partitions");

    exec(
        List.of(KCAT.toString(), "-b", bootstrap(port), "-P", "-t", "kcat-topic", "-K", ":"),
        "cam-1:written by kcat\n");
    stop(broker);

    Process again = startBroker(port);
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(port));
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "it");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<ConsumerRecord<String, String>> records = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of("kcat-topic"));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (records.isEmpty() && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(500)).forEach(records::add);
      }
    }
    assertThat(records).hasSize(1);
    assertThat(records.get(0).key()).isEqualTo("cam-1");
    assertThat(records.get(0).value()).isEqualTo("written by kcat");

    String consumed =
        exec(
            List.of(
                KCAT.toString(),
                "-b",
                bootstrap(port),
                "-C",
                "-t",
                "kcat-topic",
                "-o",
                "beginning",
                "-e",
                "-f",
                "%k=%s\\n"),
            null);
    assertThat(consumed).contains("cam-1=written by kcat");
    stop(again);
  }

  @Test
  void secureWritesTheRolesPropertiesAndCreatesTheTopics() throws Exception {
    int port = freePort();
    Path secrets = dataDir.resolve("secrets");
    Process broker =
        launch(
            "broker",
            "--port",
            Integer.toString(port),
            "--data-dir",
            dataDir.resolve("data").toString(),
            "--secure",
            secrets.toString());
    var out = new java.io.BufferedReader(new java.io.InputStreamReader(broker.getInputStream()));
    String line = out.readLine();
    assertThat(line)
        .as("broker start line")
        .isNotNull()
        .contains("Kafka at 127.0.0.1:" + port + " (SASL_SSL, SCRAM-SHA-512)")
        .contains(secrets.toString())
        .contains("ingest.properties, detector.properties, sink.properties, publisher.properties");
    Properties admin = new Properties();
    try (var reader = Files.newBufferedReader(secrets.resolve("admin.properties"))) {
      admin.load(reader);
    }
    try (Admin client = Admin.create(admin)) {
      assertThat(client.listTopics().names().get(30, TimeUnit.SECONDS))
          .contains("maskstream.frames", "maskstream.models", "maskstream.zones");
    }
    stop(broker);
  }

  @Test
  void aTakenPortIsAOneLineErrorWithExitTwo() throws Exception {
    try (ServerSocket taken =
        new ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
      Process broker =
          launch(
              "broker",
              "--port",
              Integer.toString(taken.getLocalPort()),
              "--data-dir",
              dataDir.toString());
      assertThat(broker.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(broker.exitValue()).isEqualTo(2);
      String err = new String(broker.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      List<String> ours = err.lines().filter(l -> l.startsWith("maskstream broker:")).toList();
      assertThat(ours).hasSize(1);
      assertThat(ours.get(0)).contains(Integer.toString(taken.getLocalPort()));
    }
  }

  private Process startBroker(int port) throws Exception {
    Process process =
        launch("broker", "--port", Integer.toString(port), "--data-dir", dataDir.toString());
    // the command prints one line on stdout when Kafka and the topics are ready
    var out = new java.io.BufferedReader(new java.io.InputStreamReader(process.getInputStream()));
    String line = out.readLine();
    assertThat(line).as("broker start line").isNotNull().contains("Kafka at 127.0.0.1:" + port);
    return process;
  }

  private Process launch(String... args) throws IOException {
    Process process =
        new ProcessBuilder(MaskstreamProcess.command(List.of(), List.of(args)))
            .redirectError(ProcessBuilder.Redirect.PIPE)
            .start();
    processes.add(process);
    return process;
  }

  private static void stop(Process process) throws InterruptedException {
    process.destroy(); // SIGTERM: the shutdown hook stops Kafka cleanly
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("broker stops on SIGTERM").isTrue();
  }

  private static String exec(List<String> command, String stdin) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    if (stdin != null) {
      p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("%s: %s", command, out).isZero();
    return out;
  }

  private static Config config(Admin admin, String topic) throws Exception {
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    return admin.describeConfigs(List.of(resource)).all().get().get(resource);
  }

  private static String bootstrap(int port) {
    return "127.0.0.1:" + port;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
