package io.maskstream.launcher.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class GreedyIouTrackerTest {
  private static double[] box(double x1, double y1, double x2, double y2) {
    return new double[] {x1, y1, x2, y2};
  }

  @Test
  void followsBoxesFrameToFrameWhateverTheirOrder() {
    GreedyIouTracker tracker = new GreedyIouTracker();
    assertThat(tracker.step(List.of(box(0, 0, 10, 10), box(20, 0, 30, 10)))).containsExactly(1, 2);
    // listed the other way round, each moved by a pixel
    assertThat(tracker.step(List.of(box(21, 0, 31, 10), box(1, 0, 11, 10)))).containsExactly(2, 1);
  }

  @Test
  void unmatchedDetectionsStartIdsAndUnmatchedTracksEndForGood() {
    GreedyIouTracker tracker = new GreedyIouTracker();
    tracker.step(List.of(box(0, 0, 10, 10), box(20, 0, 30, 10)));
    // track 2 is not seen; a box far from every track starts id 3
    assertThat(tracker.step(List.of(box(1, 0, 11, 10), box(50, 50, 60, 60)))).containsExactly(1, 3);
    // where track 2 was: it ended, so a new id
    assertThat(tracker.step(List.of(box(20, 0, 30, 10), box(1, 0, 11, 10)))).containsExactly(4, 1);
    // an empty frame ends every track
    assertThat(tracker.step(List.of())).isEmpty();
    assertThat(tracker.step(List.of(box(1, 0, 11, 10)))).containsExactly(5);
  }

  @Test
  void matchesAtAnIouOfAtLeastPointThree() {
    GreedyIouTracker tracker = new GreedyIouTracker();
    tracker.step(List.of(box(0, 0, 10, 10), box(100, 0, 110, 10)));
    // IoU 30/100 = 0.3 exactly continues; 29/100 does not
    assertThat(GreedyIouTracker.iou(box(0, 0, 10, 10), box(0, 0, 10, 3))).isEqualTo(0.3);
    assertThat(tracker.step(List.of(box(0, 0, 10, 3), box(100, 0, 110, 2.9))))
        .containsExactly(1, 3);
  }

  @Test
  void takesTheHighestIouFirstEvenWhereAnotherAssignmentWouldMatchMore() {
    GreedyIouTracker tracker = new GreedyIouTracker();
    tracker.step(List.of(box(0, 0, 10, 10), box(6, 0, 16, 10)));
    // detection 1 has IoU 9/11 with track 1 and 5/15 with track 2; detection 2 has 7/13 with
    // track 1 only. The best assignment (1->2, 2->1) would keep both ids; greedy gives detection 1
    // to track 1, so detection 2 starts id 3 and track 2 ends.
    assertThat(tracker.step(List.of(box(1, 0, 11, 10), box(-3, 0, 7, 10)))).containsExactly(1, 3);
  }

  @Test
  void iouOfBoxes() {
    assertThat(GreedyIouTracker.iou(box(0, 0, 10, 10), box(0, 0, 10, 10))).isEqualTo(1);
    assertThat(GreedyIouTracker.iou(box(0, 0, 10, 10), box(10, 0, 20, 10))).isZero();
    assertThat(GreedyIouTracker.iou(box(0, 0, 10, 10), box(5, 0, 15, 10))).isEqualTo(50.0 / 150);
    assertThat(GreedyIouTracker.iou(box(0, 0, 0, 10), box(0, 0, 0, 10))).isZero();
  }
}
