package io.maskstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.ingest.source.FrameSampler;
import org.junit.jupiter.api.Test;

class FrameSamplerTest {
  private static int accepted(
      FrameSampler sampler, double sourceFps, int frames, long startMicros) {
    int n = 0;
    for (int i = 0; i < frames; i++) {
      if (sampler.accept(startMicros + Math.round(i * 1_000_000 / sourceFps))) {
        n++;
      }
    }
    return n;
  }

  @Test
  void keepsEveryThirdFrameOf30FpsAt10() {
    FrameSampler sampler = new FrameSampler(10);
    assertThat(accepted(sampler, 30, 300, 0)).isEqualTo(100);
  }

  @Test
  void samplesNonMultipleRatesToTheTargetOnAverage() {
    FrameSampler sampler = new FrameSampler(15);
    // 25 fps for 10 s -> 15 fps
    assertThat(accepted(sampler, 25, 250, 1_000)).isBetween(148, 151);
  }

  @Test
  void keepsAllFramesOfASlowerSource() {
    FrameSampler sampler = new FrameSampler(10);
    assertThat(accepted(sampler, 7, 70, 0)).isEqualTo(70);
  }

  @Test
  void restartsTheScheduleAfterATimestampJumpBack() {
    FrameSampler sampler = new FrameSampler(5);
    accepted(sampler, 30, 300, 50_000_000);
    // a loop or reconnect starts again at 0: the first frame is sent at once
    assertThat(sampler.accept(0)).isTrue();
    assertThat(accepted(sampler, 30, 60, 33_333)).isBetween(9, 10);
  }
}
