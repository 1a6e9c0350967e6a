package io.maskstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.ingest.source.Backoff;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BackoffTest {
  @Test
  void doublesWithJitterUpToTheMaximumAndResets() {
    Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofMillis(1000), new Random(7));
    long[] bases = {100, 200, 400, 800, 1000, 1000, 1000};
    for (long base : bases) {
      assertThat(backoff.next().toMillis()).isBetween(base / 2, base);
    }
    assertThat(backoff.attempts()).isEqualTo(bases.length);
    backoff.reset();
    assertThat(backoff.next().toMillis()).isBetween(50L, 100L);
  }

  @Test
  void jitterSpreadsCamerasThatFailedTogether() {
    Random random = new Random(1);
    long distinct =
        java.util.stream.IntStream.range(0, 20)
            .mapToLong(
                i -> {
                  Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), random);
                  b.next();
                  b.next();
                  return b.next().toMillis();
                })
            .distinct()
            .count();
    assertThat(distinct).isGreaterThan(10);
  }
}
