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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
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
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              assertThat(detect.isAlive()).as(log("detect.log")).isTrue();
              assertThat(sink.isAlive()).as(log("sink.log")).isTrue();
              assertThat(jsonLines(out)).as(log("detect.log")).hasSize(2);
            });
    assertThat(String.join("\n", jsonLines(out))).contains("\"stills\"");
    stop(detect);
    stop(sink);
    assertThat(log("detect.log") + log("sink.log"))
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

  // ---------------------------------------------------------------- helpers

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
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Maskstream.class.getName());
    command.addAll(List.of(args));
    command.add("--kafka-config");
    command.add(kafkaConfig.toString());
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .start();
    processes.add(process);
    return process;
  }

  private static void stop(Process process) throws InterruptedException {
    process.destroy();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
  }
}
