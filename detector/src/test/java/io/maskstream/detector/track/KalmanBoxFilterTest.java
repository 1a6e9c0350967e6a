package io.maskstream.detector.track;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class KalmanBoxFilterTest {
  @Test
  void learnsAConstantVelocityAndPredictsTheNextBox() {
    KalmanBoxFilter.Estimate e = KalmanBoxFilter.initiate(new double[] {0, 10, 40, 30});
    for (int f = 1; f <= 40; f++) {
      e = KalmanBoxFilter.predict(e, true);
      e = KalmanBoxFilter.update(e, new double[] {3 * f, 10, 3 * f + 40, 30});
    }
    assertThat(e.mean()[4]).as("x velocity").isCloseTo(3, within(0.05));
    double[] next = KalmanBoxFilter.predict(e, true).box();
    assertThat(next[0]).isCloseTo(123, within(0.5));
    assertThat(next[2] - next[0]).isCloseTo(40, within(0.5));
    assertThat(next[3] - next[1]).isCloseTo(20, within(0.5));
    double[] p = e.covariance();
    for (int i = 0; i < 8; i++) {
      assertThat(p[i * 8 + i]).isPositive();
      for (int j = 0; j < 8; j++) {
        assertThat(p[i * 8 + j]).isCloseTo(p[j * 8 + i], within(1e-9));
      }
    }
  }

  @Test
  void aLostTrackStopsGrowingAndUncertaintyGrowsWithoutMeasurements() {
    KalmanBoxFilter.Estimate e = KalmanBoxFilter.initiate(new double[] {0, 0, 10, 20});
    e = KalmanBoxFilter.update(KalmanBoxFilter.predict(e, true), new double[] {0, 0, 10, 22});
    double before = e.covariance()[0];
    KalmanBoxFilter.Estimate lost = KalmanBoxFilter.predict(e, false);
    assertThat(lost.mean()[7]).isZero();
    assertThat(lost.covariance()[0]).isGreaterThan(before);
  }
}
