package io.maskstream.detector;

import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.detector.zone.ZoneDefinitions;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.avro.LineDefinition;
import io.maskstream.schemas.avro.ZoneSet;
import io.maskstream.schemas.cli.UserException;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code maskstream zones set|show|remove} against a real broker: what is set is shown back, a new
 * set replaces the old one, remove leaves none, a bad file writes nothing, and records of other
 * writers that are no zones are reported and skipped.
 */
class ZonesCommandIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  private static final String FIRST =
      """
      zones:
        - name: dock
          polygon: [[0.1, 0.5], [0.6, 0.5], [0.6, 1.0], [0.1, 1.0]]
          relative: true
          classes: [person]
          loiter-seconds: 30
        - name: ramp
          polygon: [[10, 10], [200, 10], [200, 120]]
          anchor: mask
          mask-share: 0.25
      lines:
        - name: gate
          start: [100, 400]
          end: [540, 400]
          classes: [car]
          in: northbound
          out: southbound
      """;

  private static final String SECOND =
      """
      lines:
        - name: door
          start: [0.5, 0]
          end: [0.5, 1]
          relative: true
          anchor: center
          min-frames: 5
      """;

  private static int runs;

  private Path dir;
  private TopicNames topics;
  private Path clientFile;

  record Run(int exitCode, String out, String err) {}

  /** Topics of each test's own, with two partitions. */
  @BeforeEach
  void topics(@TempDir Path tmp) throws Exception {
    dir = tmp;
    topics = DetectorItKit.createTopics(kafka.bootstrapServers(), "zonescmd" + ++runs, 2);
    clientFile = Files.write(dir.resolve("client.properties"), DetectorItKit.topicLines(topics));
  }

  /** Runs {@code zones ARGS} with the Kafka options, reporting errors as the launcher does. */
  private Run zones(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(
        List.of("--bootstrap", kafka.bootstrapServers(), "--kafka-config", clientFile.toString()));
    CommandLine cli = new CommandLine(new ZonesCommand());
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    cli.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + e.getMessage());
          return e instanceof UserException ? 2 : 1;
        });
    int code = cli.execute(all.toArray(String[]::new));
    return new Run(code, out.toString(), err.toString());
  }

  private Path file(String name, String text) throws Exception {
    return Files.writeString(dir.resolve(name), text);
  }

  private long records() {
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(
            DetectorItKit.client(kafka.bootstrapServers()),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topics.zones(), Duration.ofSeconds(10)).stream()
              .map(p -> new TopicPartition(p.topic(), p.partition()))
              .toList();
      return consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
    }
  }

  private static ZoneSet parsed(String camera, String yaml) {
    return ZoneDefinitions.parseYaml(camera, yaml, Instant.EPOCH);
  }

  @Test
  void setShowReplaceAndRemove() throws Exception {
    Run set = zones("set", "--camera", "gate-1", "--file", file("first.yaml", FIRST).toString());
    assertThat(set.exitCode()).as(set.err()).isZero();
    assertThat(set.out().strip())
        .isEqualTo("camera gate-1: 2 zones, 1 line stored in " + topics.zones());

    Run shown = zones("show", "--camera", "gate-1");
    assertThat(shown.exitCode()).as(shown.err()).isZero();
    assertThat(parsed("gate-1", shown.out())).isEqualTo(parsed("gate-1", FIRST));

    InputStream stdin = System.in;
    try {
      System.setIn(new ByteArrayInputStream(SECOND.getBytes(StandardCharsets.UTF_8)));
      Run replaced = zones("set", "--camera", "gate-1", "--file", "-");
      assertThat(replaced.exitCode()).as(replaced.err()).isZero();
      assertThat(replaced.out().strip())
          .isEqualTo("camera gate-1: 0 zones, 1 line stored in " + topics.zones());
    } finally {
      System.setIn(stdin);
    }
    Run second = zones("show", "--camera", "gate-1");
    assertThat(second.exitCode()).isZero();
    assertThat(parsed("gate-1", second.out())).isEqualTo(parsed("gate-1", SECOND));
    assertThat(second.out()).doesNotContain("dock");

    assertThat(
            zones("set", "--camera", "lobby", "--file", file("lobby.yaml", FIRST).toString())
                .exitCode())
        .isZero();
    Run all = zones("show");
    assertThat(all.exitCode()).isZero();
    assertThat(all.out())
        .startsWith("# camera gate-1\n")
        .contains("\n# camera lobby\n")
        .contains("name: door")
        .contains("name: dock");

    Run removed = zones("remove", "--camera", "gate-1");
    assertThat(removed.exitCode()).as(removed.err()).isZero();
    assertThat(removed.out().strip())
        .isEqualTo("camera gate-1: zones and lines removed from " + topics.zones());
    Run none = zones("show", "--camera", "gate-1");
    assertThat(none.exitCode()).isEqualTo(1);
    assertThat(none.out()).isEmpty();
    assertThat(none.err().strip())
        .doesNotContain("\n")
        .isEqualTo(
            "zones show: camera gate-1 has no zones or lines in "
                + topics.zones()
                + " (store them with 'maskstream zones set')");
    assertThat(zones("show").out()).doesNotContain("gate-1").contains("# camera lobby");
  }

  @Test
  void aBadFileIsRefusedInOneLineAndNothingIsWritten() throws Exception {
    long before = records();
    Path bad =
        file(
            "bad.yaml",
            """
            zones:
              - name: dock
                polygon: [[0, 0], [10, 10]]
            """);
    Run refused = zones("set", "--camera", "bad-1", "--file", bad.toString());
    assertThat(refused.exitCode()).isEqualTo(2);
    assertThat(refused.err().strip())
        .doesNotContain("\n")
        .isEqualTo(
            "zones set: " + bad + ": zone \"dock\": a polygon needs at least 3 points, got 2");

    Path unknown = file("unknown.yaml", "zones:\n  - name: dock\n    colour: red\n");
    Run unknownKey = zones("set", "--camera", "bad-1", "--file", unknown.toString());
    assertThat(unknownKey.exitCode()).isEqualTo(2);
    assertThat(unknownKey.err().strip())
        .doesNotContain("\n")
        .contains("zones[0] at line 3", "unknown key 'colour'");

    Run badCamera = zones("set", "--camera", "no such camera", "--file", bad.toString());
    assertThat(badCamera.exitCode()).isEqualTo(2);
    assertThat(badCamera.err()).contains("--camera 'no such camera': use 1-64 characters");

    Run missing = zones("set", "--camera", "bad-1", "--file", dir.resolve("nope.yaml").toString());
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err()).contains("does not exist");

    assertThat(records()).isEqualTo(before);
    assertThat(zones("show", "--camera", "bad-1").exitCode()).isEqualTo(1);
  }

  @Test
  void recordsThatAreNoValidZonesAreReportedAndSkipped() throws Exception {
    assertThat(
            zones("set", "--camera", "yard", "--file", file("yard.yaml", SECOND).toString())
                .exitCode())
        .isZero();
    TestFrames.send(
        kafka.bootstrapServers(),
        topics.zones(),
        List.of("garbage"),
        List.of("not avro at all".getBytes(StandardCharsets.UTF_8)));
    ZoneSet other = parsed("somewhere-else", SECOND);
    ZoneSet invalid =
        ZoneSet.newBuilder(parsed("broken", SECOND))
            .setLines(
                List.of(
                    LineDefinition.newBuilder(parsed("broken", SECOND).getLines().get(0))
                        .setMinFrames(0)
                        .build()))
            .build();
    AvroSerde<ZoneSet> serde = new AvroSerde<>(ZoneSet.class);
    TestFrames.send(
        kafka.bootstrapServers(),
        topics.zones(),
        List.of("broken", "yard"),
        List.of(serde.serialize(topics.zones(), invalid), serde.serialize(topics.zones(), other)));

    Run all = zones("show");
    assertThat(all.exitCode()).as(all.err()).isZero();
    List<String> errors = all.err().lines().toList();
    assertThat(errors).hasSize(3);
    assertThat(errors)
        .anySatisfy(
            e ->
                assertThat(e)
                    .contains("skipped the record at " + topics.zones())
                    .contains("(key 'garbage'): not a ZoneSet"))
        .anySatisfy(
            e ->
                assertThat(e)
                    .contains("(key 'broken'): line \"door\": min-frames must be from 1 to 1000"))
        .anySatisfy(
            e ->
                assertThat(e)
                    .contains(
                        "(key 'yard'): its value is for camera 'somewhere-else', not the key"));
    assertThat(all.out()).contains("# camera yard").doesNotContain("garbage", "broken");
    Run yard = zones("show", "--camera", "yard");
    assertThat(yard.exitCode()).isZero();
    assertThat(parsed("yard", yard.out())).isEqualTo(parsed("yard", SECOND));
  }
}
