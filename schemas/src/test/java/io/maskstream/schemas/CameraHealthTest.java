package io.maskstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.schemas.CameraHealth.Condition;
import io.maskstream.schemas.avro.CameraRunState;
import io.maskstream.schemas.avro.CameraStatus;
import io.maskstream.schemas.internal.TrustedClasses;
import java.time.Instant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CameraHealthTest {
  private static final Instant NOW = Instant.parse("2026-06-01T08:00:00Z");

  @BeforeAll
  static void trust() {
    TrustedClasses.install();
  }

  private static CameraStatus report(CameraRunState state, long ageMillis, String error) {
    return CameraStatus.newBuilder()
        .setCamera("gate")
        .setOwner("host-a pid 42")
        .setState(state)
        .setFps(4.8)
        .setLastError(error)
        .setReportedAt(NOW.minusMillis(ageMillis))
        .setReportIntervalMs(2000)
        .build();
  }

  @Test
  void aFreshReportSaysWhatItsOwnerSees() {
    CameraHealth up =
        CameraHealth.of("gate", true, report(CameraRunState.STREAMING, 500, null), NOW);
    assertThat(up.condition()).isEqualTo(Condition.UP);
    assertThat(up.fps()).isEqualTo(4.8);
    assertThat(up.summary()).isEqualTo("up: 4.8 fps");
    assertThat(up.condition().alarming()).isFalse();
  }

  @Test
  void downCarriesTheLastErrorWithPasswordsMasked() {
    CameraHealth down =
        CameraHealth.of(
            "gate",
            true,
            report(CameraRunState.DOWN, 100, "cannot read rtsp://u:secret@10.0.0.7/s: refused"),
            NOW);
    assertThat(down.condition()).isEqualTo(Condition.DOWN);
    assertThat(down.summary()).isEqualTo("down: cannot read rtsp://u:***@10.0.0.7/s: refused");
    assertThat(down.fps()).isZero();
    assertThat(down.condition().alarming()).isTrue();
  }

  @Test
  void aReportOlderThanThreeIntervalsIsStale() {
    assertThat(
            CameraHealth.of("gate", true, report(CameraRunState.STREAMING, 6000, null), NOW)
                .condition())
        .isEqualTo(Condition.UP);
    CameraHealth stale =
        CameraHealth.of("gate", true, report(CameraRunState.STREAMING, 6001, null), NOW);
    assertThat(stale.condition()).isEqualTo(Condition.STALE);
    assertThat(stale.summary()).isEqualTo("stale: no report for 6 s from host-a pid 42");
  }

  @Test
  void noReportOrAStoppedOneMeansNotRunningAndDisabledWins() {
    assertThat(CameraHealth.of("gate", true, null, NOW).summary())
        .isEqualTo("not running: no ingest process reports it");
    assertThat(
            CameraHealth.of("gate", true, report(CameraRunState.STOPPED, 60_000, null), NOW)
                .condition())
        .isEqualTo(Condition.NOT_RUNNING);
    assertThat(CameraHealth.of("gate", false, null, NOW).condition()).isEqualTo(Condition.DISABLED);
    assertThat(
            CameraHealth.of("gate", false, report(CameraRunState.STREAMING, 0, null), NOW)
                .condition())
        .isEqualTo(Condition.DISABLED);
  }
}
