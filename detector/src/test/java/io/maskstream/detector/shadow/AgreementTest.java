package io.maskstream.detector.shadow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.maskstream.detector.Instance;
import io.maskstream.schemas.rle.CocoRle;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Matching of hand-made detections whose box and mask IoU are known. */
class AgreementTest {
  private static final int W = 100;
  private static final int H = 100;

  /** A detection whose mask fills its box. */
  private static Instance box(String label, float score, int x1, int y1, int x2, int y2) {
    byte[] mask = new byte[W * H];
    for (int y = y1; y < y2; y++) {
      for (int x = x1; x < x2; x++) {
        mask[y * W + x] = 1;
      }
    }
    return new Instance(
        label.equals("square") ? 1 : 2,
        label,
        score,
        x1,
        y1,
        x2,
        y2,
        CocoRle.encodeRowMajor(mask, H, W));
  }

  @Test
  void matchesSameClassOneToOneAboveHalfIou() {
    List<Instance> serving =
        List.of(
            box("square", 0.9f, 0, 0, 20, 20), // candidate's twin shifted by 2: IoU 360/440
            box("circle", 0.8f, 50, 50, 70, 70), // candidate has a square there: no match
            box("square", 0.7f, 0, 60, 10, 70)); // candidate's overlaps 1/3: IoU 50/150
    List<Instance> candidate =
        List.of(
            box("square", 0.95f, 2, 0, 22, 20),
            box("square", 0.6f, 50, 50, 70, 70),
            box("square", 0.5f, 5, 60, 15, 70));

    Agreement a = Agreement.of(serving, candidate);

    assertThat(a.serving()).isEqualTo(3);
    assertThat(a.candidate()).isEqualTo(3);
    assertThat(a.matched()).isEqualTo(1);
    Agreement.Match m = a.matches().get(0);
    assertThat(m.label()).isEqualTo("square");
    assertThat(m.boxIou()).isCloseTo(360.0 / 440, within(1e-9));
    assertThat(m.maskIou()).isCloseTo(360.0 / 440, within(1e-9));
    assertThat(m.scoreShift()).isCloseTo(0.05, within(1e-6));
    assertThat(a.classes())
        .containsEntry("square", new Agreement.ClassCounts(2, 3, 1))
        .containsEntry("circle", new Agreement.ClassCounts(1, 0, 0));
  }

  @Test
  void exactlyHalfIouMatchesAndTheAssignmentIsOneToOne() {
    // two serving squares, one candidate square between them
    List<Instance> serving =
        List.of(box("square", 0.9f, 0, 0, 30, 20), box("square", 0.9f, 10, 0, 40, 20));
    // x in [10,30) overlaps each serving box (30x20) in 400 of a union of 600: IoU 2/3 with both,
    // and only one of them may have it
    List<Instance> candidate = List.of(box("square", 0.8f, 10, 0, 30, 20));
    Agreement a = Agreement.of(serving, candidate);
    assertThat(a.matched()).isEqualTo(1);
    assertThat(a.matches().get(0).boxIou()).isCloseTo(2.0 / 3, within(1e-9));

    // 20x20 against 20x10 inside it: IoU exactly 0.5
    Agreement half =
        Agreement.of(
            List.of(box("circle", 0.5f, 0, 0, 20, 20)), List.of(box("circle", 0.5f, 0, 0, 20, 10)));
    assertThat(half.matched()).isEqualTo(1);
    assertThat(half.maskIouSum()).isCloseTo(0.5, within(1e-9));
    assertThat(half.scoreShiftSum()).isZero();
  }

  @Test
  void nothingOnOneSideMatchesNothing() {
    Agreement a = Agreement.of(List.of(box("square", 0.9f, 0, 0, 20, 20)), List.of());
    assertThat(a.matched()).isZero();
    assertThat(a.serving()).isEqualTo(1);
    assertThat(a.classes()).containsEntry("square", new Agreement.ClassCounts(1, 0, 0));
    assertThat(Agreement.of(List.of(), List.of()).classes()).isEmpty();
  }
}
