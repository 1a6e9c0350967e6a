package io.maskstream.sinks.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.maskstream.schemas.avro.Box;
import io.maskstream.schemas.avro.Detection;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrameSelectorTest {
  private static Detection det(int classId, String label, float score, float x) {
    return new Detection(classId, label, score, new Box(x, 10f, x + 20, 30f), null, null);
  }

  private static Observation<String> frame(String camera, long seq, Detection... detections) {
    return new Observation<>(camera, seq, seq * 100, List.of(detections), camera + seq);
  }

  @Test
  void aScoreInsideTheBandIsUnsureOutsideItIsNot() {
    FrameSelector<String> selector = new FrameSelector<>(0.3, 0.6, false);
    assertThat(selector.offer(frame("a", 1, det(1, "square", 0.45f, 0)))).isNull();
    Selection<String> first = selector.offer(frame("a", 2, det(1, "square", 0.9f, 0)));
    assertThat(first.observation().sequence()).isEqualTo(1);
    assertThat(first.reasons()).containsExactly(Reason.UNSURE);
    assertThat(first.why()).isEqualTo("unsure (square 0.45)");
    Selection<String> second = selector.offer(frame("a", 3, det(1, "square", 0.61f, 0)));
    assertThat(second.useful()).isFalse();
    assertThat(selector.flush()).singleElement().satisfies(s -> assertThat(s.reasons()).isEmpty());
  }

  @Test
  void theBandsEndsAreInside() {
    FrameSelector<String> selector = new FrameSelector<>(0.3, 0.6, false);
    selector.offer(frame("a", 1, det(1, "square", 0.3f, 0), det(2, "circle", 0.6f, 50)));
    assertThat(selector.flush().get(0).why()).isEqualTo("unsure (square 0.30, circle 0.60)");
  }

  @Test
  void manyFlickeringDetectionsAreCountedByClass() {
    FrameSelector<String> selector = new FrameSelector<>(0.3, 0.6, true);
    selector.offer(frame("a", 1, det(1, "square", 0.9f, 0)));
    selector.offer(
        frame(
            "a",
            2,
            det(1, "square", 0.9f, 0),
            det(4, "star", 0.9f, 100),
            det(4, "star", 0.9f, 200),
            det(2, "circle", 0.9f, 300)));
    Selection<String> two = selector.offer(frame("a", 3, det(4, "star", 0.9f, 100)));
    assertThat(two.why())
        .isEqualTo(
            "flicker (not in the previous frame: 2 star, circle; not in the next frame: square,"
                + " star, circle)");
  }

  @Test
  void aDetectionWithoutAMatchInTheNextOrPreviousFrameFlickers() {
    FrameSelector<String> selector = new FrameSelector<>(0.3, 0.6, true);
    Detection square = det(1, "square", 0.9f, 0);
    Detection squareMoved = det(1, "square", 0.9f, 4); // IoU 16x20/(24x20) = 0.67: the same
    Detection circle = det(2, "circle", 0.9f, 100);
    selector.offer(frame("a", 1, square));
    // frame 2: the square moved a little (matched) and a circle appears for one frame only
    assertThat(selector.offer(frame("a", 2, squareMoved, circle)))
        .satisfies(
            s -> {
              assertThat(s.observation().sequence()).isEqualTo(1);
              assertThat(s.useful()).as("first frame: matched in the next").isFalse();
            });
    Selection<String> two = selector.offer(frame("a", 3, square));
    assertThat(two.observation().sequence()).isEqualTo(2);
    assertThat(two.reasons()).containsExactly(Reason.FLICKER);
    assertThat(two.why())
        .isEqualTo("flicker (not in the previous frame: circle; not in the next frame: circle)");
    // frame 3 is steady with frame 2's square; frame 4 has a circle where the square was
    Selection<String> three = selector.offer(frame("a", 4, det(2, "circle", 0.9f, 0)));
    assertThat(three.why()).isEqualTo("flicker (not in the next frame: square)");
  }

  @Test
  void anotherClassOrAFarBoxIsNoMatch() {
    Box a = new Box(0f, 0f, 10f, 10f);
    assertThat(FrameSelector.iou(a, new Box(0f, 0f, 10f, 10f))).isEqualTo(1.0);
    assertThat(FrameSelector.iou(a, new Box(5f, 0f, 15f, 10f))).isEqualTo(50.0 / 150.0);
    assertThat(FrameSelector.iou(a, new Box(20f, 20f, 30f, 30f))).isZero();
    FrameSelector<String> selector = new FrameSelector<>(0.3, 0.6, true);
    selector.offer(frame("a", 1, det(1, "square", 0.9f, 0)));
    selector.offer(frame("a", 2, det(2, "circle", 0.9f, 0)));
    assertThat(selector.flush().get(0).why())
        .isEqualTo("flicker (not in the previous frame: circle)");
  }

  @Test
  void camerasAreJudgedApart() {
    FrameSelector<String> selector = new FrameSelector<>(0.3, 0.6, true);
    assertThat(selector.offer(frame("a", 1, det(1, "square", 0.9f, 0)))).isNull();
    assertThat(selector.offer(frame("b", 1, det(2, "circle", 0.9f, 0)))).isNull();
    Selection<String> a1 = selector.offer(frame("a", 2, det(1, "square", 0.9f, 0)));
    assertThat(a1.observation().payload()).isEqualTo("a1");
    assertThat(a1.useful()).as("b's circle is not a's neighbour").isFalse();
    assertThat(selector.flush()).hasSize(2);
  }

  @Test
  void theBandMustBeOrdered() {
    assertThatThrownBy(() -> new FrameSelector<String>(0.6, 0.3, true))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theRateKeepsOneFramePerCameraPerInterval() {
    RateLimit rate = new RateLimit(Duration.ofSeconds(2));
    assertThat(rate.allows("a", 10_000)).isTrue();
    rate.kept("a", 10_000);
    assertThat(rate.allows("a", 11_999)).isFalse();
    assertThat(rate.allows("b", 11_999)).as("another camera").isTrue();
    assertThat(rate.allows("a", 12_000)).isTrue();
    RateLimit none = new RateLimit(Duration.ZERO);
    none.kept("a", 1);
    assertThat(none.allows("a", 1)).isTrue();
  }

  @Test
  void theBudgetStopsAtTheFrameCountAndBeforeTheSize() {
    CaptureBudget frames = new CaptureBudget(2, 1000);
    assertThat(frames.admits(100)).isTrue();
    frames.spend(100);
    assertThat(frames.exhausted()).isNull();
    frames.spend(100);
    assertThat(frames.exhausted()).isEqualTo("--max-frames 2 reached");
    assertThat(frames.admits(1)).isFalse();

    CaptureBudget bytes = new CaptureBudget(100, 250);
    bytes.spend(100);
    bytes.spend(100);
    assertThat(bytes.admits(51)).isFalse();
    assertThat(bytes.exhausted()).isEqualTo("--max-size reached");
    assertThat(bytes.bytes()).isEqualTo(200);
    CaptureBudget exact = new CaptureBudget(100, 250);
    exact.spend(200);
    assertThat(exact.admits(50)).as("up to the bound itself").isTrue();
  }
}
