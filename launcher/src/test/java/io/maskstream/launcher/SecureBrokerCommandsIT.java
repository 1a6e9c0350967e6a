package io.maskstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.maskstream.broker.BrokerRole;
import io.maskstream.broker.SecureBrokerFiles;
import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.Topics;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every command as a user runs it (its own JVM) against the secured embedded broker, each with its
 * role's {@code --kafka-config} file; and the refusals (wrong password, untrusted certificate,
 * missing ACL) as one line and exit code 1, in bounded time.
 */
class SecureBrokerCommandsIT {
  @RegisterExtension static KafkaBrokerExtension kafka = KafkaBrokerExtension.secured();

  @TempDir static Path dir;
  static Path model;
  static Path stills;

  private final List<Process> processes = new ArrayList<>();

  @BeforeAll
  static void topicsModelAndStills() throws Exception {
    // as 'maskstream broker' does: the broker's own super user creates the topics
    try (Admin admin = Admin.create(kafka.superUserClientProperties())) {
      Topics.ensure(admin, Topics.specs(TopicNames.DEFAULTS, 1), Duration.ofSeconds(30));
    }
    model = dir.resolve("shapes-tiny.onnx");
    try (InputStream in = DemoCommand.class.getResourceAsStream(DemoCommand.BUNDLED_MODEL)) {
      Files.copy(in, model);
    }
    stills = Files.createDirectories(dir.resolve("stills"));
    Path fixtures = Path.of("..", DemoCommand.BUNDLED_IMAGES);
    for (String image : List.of("image0.png", "image1.png")) {
      Files.copy(fixtures.resolve(image), stills.resolve(image));
    }
  }

  @AfterEach
  void killLeftovers() {
    processes.forEach(Process::destroyForcibly);
  }

  /** A finished command: exit code and everything it printed. */
  record Run(int exit, String output, long millis) {
    List<String> linesOf(String command) {
      return output.lines().filter(l -> l.startsWith("maskstream " + command + ":")).toList();
    }
  }

  @Test
  void everyCommandRunsWithItsRolesPropertiesFile() throws Exception {
    Run set =
        run("publisher", "zones", "set", "--camera", "stills", "--file", zonesFile().toString());
    assertThat(set.exit()).as(set.output()).isZero();
    Run show = run("publisher", "zones", "show", "--camera", "stills");
    assertThat(show.exit()).as(show.output()).isZero();
    assertThat(show.output()).contains("name: dock");

    Run publish = run("publisher", "publish", "--model", model.toString());
    assertThat(publish.exit()).as(publish.output()).isZero();
    assertThat(publish.output()).contains("kafka://maskstream.models.store/");

    Run ingest =
        run(
            "ingest",
            "ingest",
            "--camera",
            "stills=" + stills,
            "--metrics-port",
            "-1",
            "--status-interval",
            "0");
    assertThat(ingest.exit()).as(ingest.output()).isZero();

    Path detectorConfig = withStateDir(kafka.clientProperties(BrokerRole.DETECTOR));
    Process detect =
        start(
            detectorConfig,
            dir.resolve("detect.log"),
            "detect",
            "--model",
            model.toString(),
            "--device",
            "cpu");
    Path out = Files.createDirectories(dir.resolve("jsonl"));
    Process sink =
        start(
            kafka.clientProperties(BrokerRole.SINK),
            dir.resolve("sink.log"),
            "sink",
            "jsonl",
            "--dir",
            out.toString(),
            "--metrics-port",
            "-1");
    int webPort = freePort();
    Process web =
        start(
            kafka.clientProperties(BrokerRole.SINK),
            dir.resolve("web.log"),
            "sink",
            "web",
            "--port",
            Integer.toString(webPort),
            "--backlog",
            "100");
    String schema = "secure_" + ProcessHandle.current().pid();
    Process postgres =
        postgresAnswers()
            ? start(
                kafka.clientProperties(BrokerRole.SINK),
                dir.resolve("postgres.log"),
                "sink",
                "postgres",
                "--jdbc-url",
                JDBC_URL,
                "--db-user",
                "postgres",
                "--db-schema",
                schema,
                "--metrics-port",
                "-1")
            : null;
    try {
      // four JVMs start here beside the broker; on a busy machine (the launcher's other fork
      // running
      // its soak) the detector's first frames alone have taken over 90 s
      await()
          .atMost(Duration.ofSeconds(240))
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(
              () -> {
                assertThat(detect.isAlive()).as(log("detect.log")).isTrue();
                assertThat(sink.isAlive()).as(log("sink.log")).isTrue();
                assertThat(web.isAlive()).as(log("web.log")).isTrue();
                assertThat(jsonLines(out))
                    .as(log("detect.log"))
                    .filteredOn(l -> l.contains("\"camera\":\"stills\""))
                    .hasSize(2);
                // the live view got the stills' frames with their events
                assertThat(detectionsRead(scrape(webPort)))
                    .as(log("web.log"))
                    .isGreaterThanOrEqualTo(2);
                if (postgres != null) {
                  assertThat(postgres.isAlive()).as(log("postgres.log")).isTrue();
                  assertThat(stillsRows(schema)).as(log("postgres.log")).isEqualTo(2);
                }
              });
      assertThat(String.join("\n", jsonLines(out))).contains("\"stills\"");
      stop(detect);
      stop(sink);
      stop(web);
      if (postgres != null) {
        stop(postgres);
      }
    } finally {
      dropSchema(schema);
    }
    assertThat(log("detect.log") + log("sink.log") + log("web.log") + log("postgres.log"))
        .doesNotContainPattern("(?m)^\\s+at ")
        .doesNotContain("AuthorizationException", "AuthenticationException");
  }

  @Test
  void aWrongPasswordIsOneLineAndExitOne() throws Exception {
    Path wrong = dir.resolve("wrong-password.properties");
    Files.writeString(
        wrong,
        Files.readString(kafka.clientProperties(BrokerRole.PUBLISHER))
            + "\nsasl.jaas.config="
            + SecureBrokerFiles.scramJaas("publisher", "not-the-password")
            + "\n");
    String expected =
        "Kafka refused the credentials of user publisher (SCRAM-SHA-512): check sasl.jaas.config"
            + " in --kafka-config";
    assertRefused(runWith(wrong, "zones", "show"), "zones show", expected);
    assertRefused(
        runWith(wrong, "sink", "jsonl", "--dir", dir.resolve("never").toString()),
        "sink jsonl",
        expected);
    assertRefused(
        runWith(wrong, "detect", "--model", model.toString(), "--device", "cpu"),
        "detect",
        expected);
    assertRefused(runWith(wrong, "sink", "web", "--port", "0"), "sink web", expected);
    if (postgresAnswers()) {
      assertRefused(
          runWith(wrong, "sink", "postgres", "--jdbc-url", JDBC_URL, "--db-user", "postgres"),
          "sink postgres",
          expected);
    }
    assertRefused(runWith(wrong, "camera", "list"), "camera list", expected);
    Run ingest =
        runWith(
            wrong,
            "ingest",
            "--camera",
            "stills=" + stills,
            "--loop",
            "--metrics-port",
            "-1",
            "--status-interval",
            "0");
    assertThat(ingest.exit()).as(ingest.output()).isEqualTo(1);
    assertThat(ingest.output()).contains(expected).doesNotContainPattern("(?m)^\\s+at ");
  }

  @Test
  void anUntrustedBrokerCertificateIsOneLineAndExitOne() throws Exception {
    SecureBrokerFiles otherCa = SecureBrokerFiles.createOrLoad(dir.resolve("other-ca"));
    Path untrusting = dir.resolve("untrusting.properties");
    Files.writeString(
        untrusting,
        Files.readString(kafka.clientProperties(BrokerRole.PUBLISHER))
            + "\nssl.truststore.location="
            + otherCa.truststore()
            + "\nssl.truststore.password="
            + otherCa.storePassword()
            + "\n");
    String expected =
        "the TLS handshake with Kafka at "
            + kafka.bootstrapServers()
            + " failed (the broker's certificate is not signed by a CA in the trust store): check"
            + " that ssl.truststore.location in --kafka-config holds the broker's CA certificate";
    assertRefused(runWith(untrusting, "zones", "show"), "zones show", expected);
    assertRefused(runWith(untrusting, "publish", "--model", model.toString()), "publish", expected);
    assertRefused(runWith(untrusting, "sink", "web", "--port", "0"), "sink web", expected);
    assertRefused(
        runWith(untrusting, "camera", "add", "--camera", "never", "--url", stills.toString()),
        "camera add",
        expected);
  }

  @Test
  void aMissingAclIsOneLineAndExitOne() throws Exception {
    assertRefused(
        run("ingest", "publish", "--model", model.toString()),
        "publish",
        "Kafka denied user ingest access to topic maskstream.models.store: use the --kafka-config"
            + " of a user that may, or grant ingest an ACL for it");
    assertRefused(
        run("sink", "zones", "set", "--camera", "gate", "--file", zonesFile().toString()),
        "zones set",
        "Kafka denied user sink access to topic maskstream.zones: use the --kafka-config of a"
            + " user that may, or grant sink an ACL for it");
    assertRefused(
        run("ingest", "zones", "show"),
        "zones show",
        "Kafka denied user ingest access to topic maskstream.zones: use the --kafka-config of a"
            + " user that may, or grant ingest an ACL for it");
    assertRefused(
        run("sink", "camera", "add", "--camera", "never", "--url", stills.toString()),
        "camera add",
        "Kafka denied user sink access to topic maskstream.cameras: use the --kafka-config of a"
            + " user that may, or grant sink an ACL for it");
    assertRefused(
        run("detector", "camera", "list"),
        "camera list",
        "Kafka denied user detector access to topic maskstream.cameras: use the --kafka-config of"
            + " a user that may, or grant detector an ACL for it");
    assertRefused(
        run("ingest", "sink", "web", "--port", "0"),
        "sink web",
        "Kafka denied user ingest access to consumer group maskstream-sink-web: use the"
            + " --kafka-config of a user that may, or grant ingest an ACL for it");
    if (postgresAnswers()) {
      assertRefused(
          run("ingest", "sink", "postgres", "--jdbc-url", JDBC_URL, "--db-user", "postgres"),
          "sink postgres",
          "Kafka denied user ingest access to consumer group maskstream-sink-postgres: use the"
              + " --kafka-config of a user that may, or grant ingest an ACL for it");
    }
    // topic mode: ingest reads the cameras only in its own group
    Run otherGroup =
        run(
            "ingest",
            "ingest",
            "--cameras-from-topic",
            "--group",
            "elsewhere",
            "--metrics-port",
            "-1",
            "--status-interval",
            "0");
    assertThat(otherGroup.exit()).as(otherGroup.output()).isEqualTo(1);
    assertThat(otherGroup.output())
        .contains(
            "Kafka refused ingest: Kafka denied user ingest access to consumer group elsewhere")
        .doesNotContainPattern("(?m)^\\s+at ");
    // ingest may describe the frames topic but not write it: it stops instead of dropping frames
    Run ingest =
        run(
            "sink",
            "ingest",
            "--camera",
            "stills=" + stills,
            "--loop",
            "--metrics-port",
            "-1",
            "--status-interval",
            "0");
    assertThat(ingest.exit()).as(ingest.output()).isEqualTo(1);
    assertThat(ingest.output())
        .contains("Kafka refused ingest: Kafka denied user sink access to topic maskstream.frames")
        .doesNotContainPattern("(?m)^\\s+at ");
    // Kafka Streams stops on the refusal instead of replacing its thread forever
    Path sinkAsDetector = withStateDir(kafka.clientProperties(BrokerRole.SINK));
    Run detect = runWith(sinkAsDetector, "detect", "--model", model.toString(), "--device", "cpu");
    assertThat(detect.exit()).as(detect.output()).isEqualTo(1);
    assertThat(detect.linesOf("detect"))
        .as(detect.output())
        .singleElement()
        .asString()
        .isEqualTo(
            "maskstream detect: Kafka denied user sink access to consumer group"
                + " maskstream-detector: use the --kafka-config of a user that may, or grant sink"
                + " an ACL for it");
  }

  @Test
  void captureRunsAsTheSinkAndIsRefusedAsIngest() throws Exception {
    Run asSink =
        run(
            "sink",
            "capture",
            "--camera",
            "stills",
            "--out",
            dir.resolve("capture-sink").toString(),
            "--duration",
            "3s");
    assertThat(asSink.exit()).as(asSink.output()).isZero();
    assertThat(asSink.output()).contains("capture finished (--duration 3s passed)");

    // ingest may describe the event topics but not read them: refused at the first fetch
    Run asIngest =
        run(
            "ingest",
            "capture",
            "--camera",
            "stills",
            "--out",
            dir.resolve("capture-ingest").toString(),
            "--duration",
            "30s");
    assertThat(asIngest.exit()).as(asIngest.output()).isEqualTo(1);
    assertThat(asIngest.linesOf("capture"))
        .as(asIngest.output())
        .containsExactly(
            "maskstream capture: Kafka denied user ingest access to topic maskstream.detections:"
                + " use the --kafka-config of a user that may, or grant ingest an ACL for it");
    assertThat(asIngest.output()).doesNotContainPattern("(?m)^\\s+at ");
  }

  @Test
  void camerasOnTheTopicRunInTheIngestGroup() throws Exception {
    Run add =
        run(
            "publisher",
            "camera",
            "add",
            "--camera",
            "topic-stills",
            "--url",
            stills.toString(),
            "--fps",
            "1",
            "--loop");
    assertThat(add.exit()).as(add.output()).isZero();
    Run list = run("publisher", "camera", "list");
    assertThat(list.exit()).as(list.output()).isZero();
    assertThat(list.output()).contains("topic-stills");
    Process ingest =
        start(
            kafka.clientProperties(BrokerRole.INGEST),
            dir.resolve("topic-ingest.log"),
            "ingest",
            "--cameras-from-topic",
            "--metrics-port",
            "-1",
            "--status-interval",
            "0");
    try (KafkaConsumer<String, byte[]> frames = superUserReader(TopicNames.DEFAULTS.frames())) {
      await()
          .atMost(Duration.ofSeconds(90))
          .until(
              () -> {
                assertThat(ingest.isAlive()).as(log("topic-ingest.log")).isTrue();
                for (var r : frames.poll(Duration.ofMillis(500))) {
                  if ("topic-stills".equals(r.key())) {
                    return true;
                  }
                }
                return false;
              });
    } finally {
      Run remove = run("publisher", "camera", "remove", "--camera", "topic-stills");
      assertThat(remove.exit()).as(remove.output()).isZero();
    }
    stop(ingest);
    assertThat(log("topic-ingest.log"))
        .doesNotContainPattern("(?m)^\\s+at ")
        .doesNotContain("AuthorizationException", "AuthenticationException");
  }

  @Test
  void aDetectorThatMayNotReadTheModelsTopicStops() throws Exception {
    List<AclBinding> readModels =
        BrokerRole.DETECTOR.acls().stream()
            .filter(a -> a.pattern().name().equals(TopicNames.DEFAULTS.models()))
            .filter(a -> a.entry().operation() == AclOperation.READ)
            .toList();
    assertThat(readModels).hasSize(1);
    try (Admin admin = Admin.create(kafka.superUserClientProperties())) {
      admin.deleteAcls(List.of(readModels.get(0).toFilter())).all().get(30, TimeUnit.SECONDS);
      try {
        Path config = withStateDir(kafka.clientProperties(BrokerRole.DETECTOR));
        Run detect = runWith(config, "detect", "--model", model.toString(), "--device", "cpu");
        assertThat(detect.exit()).as(detect.output()).isEqualTo(1);
        assertThat(detect.linesOf("detect"))
            .as(detect.output())
            .containsExactly(
                "maskstream detect: Kafka denied user detector access to topic maskstream.models:"
                    + " use the --kafka-config of a user that may, or grant detector an ACL for"
                    + " it");
        assertThat(detect.output()).doesNotContainPattern("(?m)^\\s+at ");
      } finally {
        admin.createAcls(readModels).all().get(30, TimeUnit.SECONDS);
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  private static final String JDBC_URL = "jdbc:postgresql://127.0.0.1:5432/test";

  private static boolean postgresAnswers() {
    try (Connection c = DriverManager.getConnection(JDBC_URL, "postgres", "")) {
      return c.isValid(5);
    } catch (SQLException e) {
      return false;
    }
  }

  private static int stillsRows(String schema) throws SQLException {
    try (Connection c = DriverManager.getConnection(JDBC_URL, "postgres", "");
        Statement s = c.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT count(*) FROM \"" + schema + "\".frames WHERE camera = 'stills'")) {
      r.next();
      return r.getInt(1);
    } catch (SQLException e) {
      if ("42P01".equals(e.getSQLState())) {
        return 0; // the sink has not created its tables yet
      }
      throw e;
    }
  }

  private static void dropSchema(String schema) throws SQLException {
    if (postgresAnswers()) {
      try (Connection c = DriverManager.getConnection(JDBC_URL, "postgres", "");
          Statement s = c.createStatement()) {
        s.execute("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
      }
    }
  }

  /** The web sink's /metrics text (the view listens on 127.0.0.1 without credentials). */
  private static String scrape(int port) {
    try {
      return HttpClient.newHttpClient()
          .send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (IOException e) {
      return "(not answering: " + e + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "(interrupted)";
    }
  }

  /** Detections records the web sink read, from its metrics. */
  private static double detectionsRead(String metrics) {
    Matcher m =
        Pattern.compile(
                "(?m)^maskstream_sink_records_total\\{[^}]*topic=\"maskstream\\.detections\"[^}]*\\}"
                    + " (\\S+)$")
            .matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  private static KafkaConsumer<String, byte[]> superUserReader(String topic) {
    Properties props = kafka.superUserClientProperties();
    KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> partitions =
        consumer.partitionsFor(topic).stream()
            .map(p -> new TopicPartition(topic, p.partition()))
            .toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    return consumer;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static void assertRefused(Run run, String command, String message) {
    assertThat(run.exit()).as(run.output()).isEqualTo(1);
    assertThat(run.linesOf(command))
        .as(run.output())
        .containsExactly("maskstream " + command + ": " + message);
    assertThat(run.output())
        .doesNotContainPattern("(?m)^\\s+at ")
        .doesNotContain("Exception in thread");
  }

  private static Path zonesFile() throws IOException {
    return Files.writeString(
        dir.resolve("zones.yaml"),
        "zones:\n  - name: dock\n    polygon: [[0.1, 0.5], [0.6, 0.5], [0.6, 1.0], [0.1, 1.0]]\n"
            + "    relative: true\n");
  }

  private static Path withStateDir(Path properties) throws IOException {
    Path state = Files.createTempDirectory(dir, "streams-");
    Path copy = dir.resolve(state.getFileName() + ".properties");
    Files.writeString(copy, Files.readString(properties) + "\nstate.dir=" + state + "\n");
    return copy;
  }

  private static List<String> jsonLines(Path out) throws IOException {
    List<String> lines = new ArrayList<>();
    try (Stream<Path> files = Files.list(out)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".jsonl")).toList()) {
        lines.addAll(Files.readAllLines(f).stream().filter(l -> !l.isBlank()).toList());
      }
    }
    return lines;
  }

  private static String log(String name) {
    try {
      return Files.readString(dir.resolve(name));
    } catch (IOException e) {
      return "(no " + name + ")";
    }
  }

  private Run run(String role, String... args) throws Exception {
    return runWith(kafka.clientProperties(BrokerRole.valueOf(role.toUpperCase())), args);
  }

  private Run runWith(Path kafkaConfig, String... args) throws Exception {
    long t0 = System.nanoTime();
    Path output = Files.createTempFile(dir, "run-", ".log");
    Process p = start(kafkaConfig, output, args);
    boolean ended = p.waitFor(90, TimeUnit.SECONDS);
    assertThat(ended).as("%s ends in time: %s", List.of(args), Files.readString(output)).isTrue();
    System.out.printf(
        "%s: exit %d in %d ms%n",
        List.of(args).subList(0, Math.min(2, args.length)),
        p.exitValue(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    String printed = Files.readString(output, StandardCharsets.UTF_8);
    printed.lines().filter(l -> l.startsWith("maskstream ")).forEach(System.out::println);
    return new Run(
        p.exitValue(),
        Files.readString(output, StandardCharsets.UTF_8),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
  }

  private Process start(Path kafkaConfig, Path output, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(args));
    command.add("--kafka-config");
    command.add(kafkaConfig.toString());
    Process process = MaskstreamProcess.start(output, List.of(), command);
    processes.add(process);
    return process;
  }

  private static void stop(Process process) throws InterruptedException {
    process.destroy();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
  }
}
