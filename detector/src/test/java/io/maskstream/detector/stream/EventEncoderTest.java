package io.maskstream.detector.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.detector.Instance;
import io.maskstream.detector.KeypointLayout;
import io.maskstream.detector.ModelIdentity;
import io.maskstream.detector.Segmentation;
import io.maskstream.detector.StageTimes;
import io.maskstream.schemas.avro.Detection;
import io.maskstream.schemas.avro.Keypoint;
import io.maskstream.schemas.rle.CocoRle;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The events of a detected frame: keypoints with their names and skeleton, masks when present. */
class EventEncoderTest {
  private static final ModelIdentity MODEL = new ModelIdentity("people", "0123456789ab");
  private static final StageTimes TIMES = new StageTimes(1f, 2f, 3f, 4f);

  @Test
  void keypointsTravelWithTheirNamesAndSkeletonAndAModelWithoutMasksSendsNone() {
    KeypointLayout layout = new KeypointLayout(List.of("head", "hand"), List.of(List.of(1, 2)));
    Instance person =
        new Instance(
            1, "person", 0.9f, 1f, 2f, 30f, 40f, null, new float[] {5f, 6f, 7.5f, 8f, 9f, -1f});
    Segmentation s = new Segmentation(64, 48, List.of(person), MODEL, TIMES, layout);
    EventEncoder.Events events =
        EventEncoder.events(
            new FrameOutcome.Detected("cam", 3, Instant.EPOCH, s, 10L, new long[] {0}));
    Detection d = events.detections().getDetections().get(0);
    assertThat(d.getKeypoints())
        .containsExactly(new Keypoint(5f, 6f, 7.5f), new Keypoint(8f, 9f, -1f));
    assertThat(events.detections().getKeypointNames()).containsExactly("head", "hand");
    assertThat(events.detections().getSkeleton()).containsExactly(List.of(1, 2));
    assertThat(events.masks().getMasks()).isEmpty();
  }

  @Test
  void aMaskModelSendsMasksAndNoKeypoints() {
    CocoRle mask = CocoRle.encodeRowMajor(new byte[] {0, 1, 1, 0}, 2, 2);
    Instance thing = new Instance(2, "ellipse", 0.8f, 0f, 0f, 2f, 2f, mask);
    Segmentation s = new Segmentation(2, 2, List.of(thing), MODEL, TIMES);
    EventEncoder.Events events =
        EventEncoder.events(
            new FrameOutcome.Detected("cam", 4, Instant.EPOCH, s, 10L, new long[] {0}));
    assertThat(events.detections().getDetections().get(0).getKeypoints()).isNull();
    assertThat(events.detections().getKeypointNames()).isEmpty();
    assertThat(events.masks().getMasks()).hasSize(1);
    assertThat(events.masks().getMasks().get(0).getRle().getCounts())
        .isEqualTo(mask.toCompressedString());
  }
}
