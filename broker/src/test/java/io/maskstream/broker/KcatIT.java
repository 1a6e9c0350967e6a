package io.maskstream.broker;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import java.io.File;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Interop with kcat (librdkafka), a Kafka client we did not write; skipped where it is not
 * installed ({@code apt-get install kcat}).
 */
@EnabledIf(value = "kcatInstalled", disabledReason = "kcat is not installed (apt-get install kcat)")
class KcatIT {

  @RegisterExtension static KafkaBrokerExtension kafka = KafkaBrokerExtension.embedded();

  static boolean kcatInstalled() {
    return kcat().isPresent();
  }

  @Test
  void kcatSeesTheBrokerAndItsTopics() throws Exception {
    kafka.createTopic("kcat-metadata", 2);

    String metadata = run("", "-b", kafka.bootstrapServers(), "-L", "-m", "15");

    assertThat(metadata)
        .contains("1 brokers:")
        .contains("broker 1 at " + kafka.bootstrapServers())
        .contains("topic \"kcat-metadata\" with 2 partitions");
  }

  @Test
  void recordsProducedByKcatAreConsumedAfterARestart() throws Exception {
    kafka.createTopic("kcat-frames", 1);

    run(
        "cam-1:hello\ncam-2:world\n",
        "-b",
        kafka.bootstrapServers(),
        "-P",
        "-t",
        "kcat-frames",
        "-K",
        ":");
    kafka.restart();

    List<ConsumerRecord<byte[], byte[]>> records =
        KafkaIo.consume(kafka.bootstrapServers(), "kcat-frames", 2);
    assertThat(records)
        .extracting(r -> new String(r.key(), UTF_8) + "=" + new String(r.value(), UTF_8))
        .containsExactly("cam-1=hello", "cam-2=world");
  }

  /** Runs kcat with {@code stdin}, asserts exit code 0 and returns its output. */
  private static String run(String stdin, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(kcat().orElseThrow().toString());
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    try (OutputStream in = process.getOutputStream()) {
      in.write(stdin.getBytes(UTF_8));
    }
    String output;
    try {
      output = new String(process.getInputStream().readAllBytes(), UTF_8);
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("kcat finished").isTrue();
    } finally {
      process.destroyForcibly();
    }
    assertThat(process.exitValue()).as("kcat exit code; output:%n%s", output).isZero();
    return output;
  }

  private static Optional<Path> kcat() {
    String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/bin";
    return Stream.of(path.split(File.pathSeparator))
        .filter(dir -> !dir.isEmpty())
        .map(dir -> Path.of(dir, "kcat"))
        .filter(Files::isExecutable)
        .findFirst();
  }
}
