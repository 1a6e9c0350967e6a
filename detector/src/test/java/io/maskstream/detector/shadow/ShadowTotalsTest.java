package io.maskstream.detector.shadow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.maskstream.schemas.avro.ShadowReport;
import io.maskstream.schemas.avro.ShadowState;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Frames fold into totals, totals into reports, and the reports of detectors add up. */
class ShadowTotalsTest {
  private static Agreement frame(int serving, int candidate, double... ious) {
    List<Agreement.Match> matches =
        java.util.Arrays.stream(ious)
            .mapToObj(i -> new Agreement.Match("square", i, i, 0.1))
            .toList();
    return new Agreement(
        serving,
        candidate,
        matches,
        Map.of("square", new Agreement.ClassCounts(serving, candidate, ious.length)));
  }

  private static ShadowReport report(String detector, ShadowTotals t) {
    return t.into(ShadowReport.newBuilder())
        .setDetector(detector)
        .setModel("shapes")
        .setServingVersion("aaaaaaaaaaaa")
        .setCandidateVersion("bbbbbbbbbbbb")
        .setSample(0.5)
        .setState(ShadowState.RUNNING)
        .setStartedTime(Instant.EPOCH)
        .setReportedTime(Instant.EPOCH)
        .build();
  }

  @Test
  void framesFoldAndReportsOfDetectorsAddUp() {
    ShadowTotals one =
        ShadowTotals.EMPTY.plus(frame(2, 3, 0.8, 0.6)).plus(frame(1, 0)).withFrames(5, 2);
    assertThat(one.compared()).isEqualTo(2);
    assertThat(one.serving()).isEqualTo(3);
    assertThat(one.candidate()).isEqualTo(3);
    assertThat(one.matched()).isEqualTo(2);
    assertThat(one.unmatchedServing()).isEqualTo(1);
    assertThat(one.unmatchedCandidate()).isEqualTo(1);
    assertThat(one.meanMaskIou()).isCloseTo(0.7, within(1e-9));
    assertThat(one.meanScoreShift()).isCloseTo(0.1, within(1e-9));

    ShadowTotals two = ShadowTotals.EMPTY.plus(frame(4, 4, 1, 1, 1, 1)).withFrames(3, 0);
    ShadowTotals back = ShadowTotals.of(report("d1", one));
    assertThat(back).isEqualTo(one);
    ShadowTotals sum = back.plus(ShadowTotals.of(report("d2", two)));
    assertThat(sum.sampled()).isEqualTo(8);
    assertThat(sum.dropped()).isEqualTo(2);
    assertThat(sum.compared()).isEqualTo(3);
    assertThat(sum.matched()).isEqualTo(6);
    // the mean over all matches, not the mean of the detectors' means
    assertThat(sum.meanMaskIou()).isCloseTo((0.8 + 0.6 + 4) / 6, within(1e-9));
    assertThat(sum.classes()).containsEntry("square", new Agreement.ClassCounts(7, 7, 6));
    assertThat(ShadowTotals.EMPTY.meanMaskIou()).isNaN();
  }
}
