package io.maskstream.launcher.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ChaosSoakTest {
  private static final List<long[]> AFTER_GC =
      List.of(new long[] {10, 50}, new long[] {30, 80}, new long[] {35, 60}, new long[] {90, 70});

  @Test
  void aStretchIsJudgedByItsHighestHeapAfterACollection() {
    assertThat(ChaosSoak.heapIn(AFTER_GC, 25, 50)).isEqualTo(80);
    assertThat(ChaosSoak.heapIn(AFTER_GC, 75, Long.MAX_VALUE)).isEqualTo(70);
  }

  @Test
  void aStretchWithoutACollectionKeepsTheHeapOfTheLastOneBefore() {
    assertThat(ChaosSoak.heapIn(AFTER_GC, 50, 75)).isEqualTo(60);
    assertThat(ChaosSoak.heapIn(AFTER_GC, 0, 5)).isZero();
  }
}
