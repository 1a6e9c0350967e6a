package io.maskstream.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class StageTimesTest {
  @Test
  void lapsChargeTheTimeSinceThePreviousMarkToTheirStageInFirstRecordedOrder() throws Exception {
    StageTimes times = StageTimes.recording();
    for (int round = 0; round < 2; round++) {
      times.start();
      Thread.sleep(20);
      times.lap("first");
      Thread.sleep(5);
      times.lap("second");
    }
    Map<String, Double> perRound = times.secondsPer(2);
    assertThat(perRound.keySet()).containsExactly("first", "second");
    assertThat(perRound.get("first")).isGreaterThanOrEqualTo(0.020);
    assertThat(perRound.get("second")).isGreaterThanOrEqualTo(0.005);
    times.reset();
    assertThat(times.secondsPer(1)).isEmpty();
  }

  @Test
  void theDisabledInstanceRecordsNothing() {
    StageTimes off = StageTimes.off();
    off.start();
    off.lap("anything");
    assertThat(off.secondsPer(1)).isEmpty();
  }
}
