package io.maskstream.launcher.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * The chaos soak's short profile: the whole pipeline (broker, ingest of 4 live ffmpeg cameras,
 * detector, the three sinks, each in its own JVM) for about 2 minutes while every fault happens at
 * least once; nothing that reached Kafka is lost, no event, row or line is there twice, no part
 * exits by itself. The hour-long run is {@link ChaosSoak}'s {@code main} (README, Benchmarks).
 */
class ChaosSoakIT {
  @Test
  void nothingIsLostOrDuplicatedWhileEveryPartFails() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/ffmpeg")), "needs Debian's ffmpeg");
    assumeTrue(postgresAnswers(), "needs PostgreSQL at 127.0.0.1:5432 (database test)");
    // kept after the run: every part's log, for a failure to be understood
    Path work =
        Files.createDirectories(Path.of("target", "chaos-soak-" + System.currentTimeMillis()));
    ChaosSoak.Settings settings =
        new ChaosSoak.Settings(
            Duration.ofMinutes(2), Duration.ofSeconds(18), 4, 0.5, Duration.ofMinutes(6));
    ChaosSoak.Report report = new ChaosSoak(settings, work, System.out).run();
    String table = ChaosSoak.table(report);
    System.out.print(table);

    assertThat(report.faults().keySet()).as(table).isEqualTo(EnumSet.allOf(ChaosSoak.Fault.class));
    assertThat(report.unexpectedExits()).as(table).isEmpty();
    assertThat(report.drained()).as(table).isTrue();
    assertThat(report.framesIn()).as(table).isGreaterThan(100);
    assertThat(report.lost()).as(table).isZero();
    assertThat(report.duplicateEvents()).as(table).isZero();
    assertThat(report.cameras())
        .as(table)
        .allSatisfy(c -> assertThat(c.frameDuplicates()).isZero());
    assertThat(report.postgres())
        .as(table)
        .allSatisfy(
            s -> {
              assertThat(s.duplicates()).isZero();
              assertThat(s.missing()).isZero();
            });
    assertThat(report.jsonl())
        .as(table)
        .allSatisfy(
            s -> {
              assertThat(s.duplicates()).isZero();
              assertThat(s.missing()).isZero();
            });
    assertThat(report.jsonlTornLines()).as(table).isZero();
    assertThat(report.tracksWithSeveralNews()).as(table).isEmpty();
    assertThat(report.webAnswers()).as(table).isTrue();
    // passed: the logs and the broker's data are not needed
    try (var files = Files.walk(work)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private static boolean postgresAnswers() {
    try (var c =
        DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/test", "postgres", "")) {
      return c.isValid(5);
    } catch (SQLException e) {
      return false;
    }
  }
}
