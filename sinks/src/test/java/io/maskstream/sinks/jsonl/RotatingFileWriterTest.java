package io.maskstream.sinks.jsonl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RotatingFileWriterTest {
  private static List<Path> files(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }

  @Test
  void rotatesBySizeWithoutSplittingLines(@TempDir Path dir) throws Exception {
    try (RotatingFileWriter w = new RotatingFileWriter(dir, "f", 100, Duration.ofHours(1))) {
      for (int i = 0; i < 10; i++) {
        w.write("x".repeat(29) + i, 0); // 31 bytes with the newline: 3 per file
      }
    }
    List<Path> files = files(dir);
    assertThat(files).hasSize(4);
    int lines = 0;
    for (Path f : files) {
      assertThat(Files.size(f)).isLessThanOrEqualTo(100);
      lines += Files.readAllLines(f).size();
    }
    assertThat(lines).isEqualTo(10);
    assertThat(Files.readAllLines(files.get(3))).containsExactly("x".repeat(29) + 9);
  }

  @Test
  void rotatesByAgeAndLeavesNoEmptyFiles(@TempDir Path dir) throws Exception {
    try (RotatingFileWriter w = new RotatingFileWriter(dir, "f", 1 << 20, Duration.ofSeconds(60))) {
      w.write("a", 1_000);
      w.rotateIfDue(30_000);
      w.write("b", 30_000);
      w.rotateIfDue(61_000);
      assertThat(w.current()).isNull();
      w.rotateIfDue(500_000);
      w.write("c", 500_000);
      w.sync();
      assertThat(Files.readAllLines(w.current())).containsExactly("c");
    }
    List<Path> files = files(dir);
    assertThat(files).hasSize(2);
    assertThat(Files.readAllLines(files.get(0))).containsExactly("a", "b");
    assertThat(files.get(0).getFileName().toString())
        .matches("f-19700101-000001\\.000-\\d{6}\\.jsonl");
  }
}
