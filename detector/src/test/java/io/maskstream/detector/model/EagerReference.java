package io.maskstream.detector.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import com.fasterxml.jackson.databind.JsonNode;
import io.maskstream.detector.Fixtures;
import io.maskstream.detector.Instance;
import io.maskstream.detector.Segmentation;
import io.maskstream.schemas.rle.CocoRle;
import java.util.ArrayList;
import java.util.List;

/**
 * The detector's segmentation of a fixture image against the eager outputs the fixture scripts
 * wrote for it (one entry of {@code images} in {@code torchvision-eager.json} or {@code
 * zoo-eager.json}): the same detections above the score threshold, boxes within half a pixel,
 * scores within 1e-3, masks of IoU 0.98 or more.
 */
final class EagerReference {
  static final float SCORE_TOLERANCE = 1e-3f;
  static final float BOX_TOLERANCE = 0.5f;
  static final double MIN_MASK_IOU = 0.98;

  // the worst agreement over the detections compared so far
  private int compared;
  private double maxBoxDifference;
  private double maxScoreDifference;
  private double minMaskIou = 1;

  /**
   * Asserts that {@code actual}, made with score threshold {@code threshold}, reproduces {@code
   * image}'s detections; those within the tolerance of the threshold may be on either side of it.
   */
  void assertReproduces(JsonNode image, Segmentation actual, float threshold) {
    String file = image.get("file").asText();
    assertThat(actual.width()).as("%s: width", file).isEqualTo(image.get("width").asInt());
    assertThat(actual.height()).as("%s: height", file).isEqualTo(image.get("height").asInt());
    List<Instance> unmatched = new ArrayList<>(actual.instances());
    for (JsonNode expected : image.get("detections")) {
      float score = (float) expected.get("score").asDouble();
      if (score < threshold + SCORE_TOLERANCE) {
        continue; // on the threshold: either side may keep it
      }
      Instance match = closest(unmatched, expected);
      assertThat(match).as("%s: detection %s", file, expected).isNotNull();
      unmatched.remove(match);
      JsonNode box = expected.get("box");
      float[] got = {match.x1(), match.y1(), match.x2(), match.y2()};
      for (int i = 0; i < 4; i++) {
        float want = (float) box.get(i).asDouble();
        assertThat(got[i])
            .as("%s: box coordinate %d of %s", file, i, expected)
            .isCloseTo(want, offset(BOX_TOLERANCE));
        maxBoxDifference = Math.max(maxBoxDifference, Math.abs(got[i] - want));
      }
      assertThat(match.score())
          .as("%s: score of %s", file, expected)
          .isCloseTo(score, offset(SCORE_TOLERANCE));
      maxScoreDifference = Math.max(maxScoreDifference, Math.abs(match.score() - score));
      assertThat(match.classId()).isEqualTo(expected.get("label").asInt());
      JsonNode mask = expected.get("mask");
      CocoRle want =
          CocoRle.fromString(
              mask.get("size").get(0).asInt(),
              mask.get("size").get(1).asInt(),
              mask.get("counts").asText());
      assertThat(want.area()).isEqualTo(expected.get("maskArea").asLong());
      double iou = Fixtures.iou(want.decodeRowMajor(), match.mask().decodeRowMajor());
      assertThat(iou).as("%s: mask IoU of %s", file, expected).isGreaterThanOrEqualTo(MIN_MASK_IOU);
      minMaskIou = Math.min(minMaskIou, iou);
      compared++;
    }
    for (Instance extra : unmatched) {
      assertThat(extra.score())
          .as("%s: detection the eager model did not make: %s", file, extra)
          .isLessThan(threshold + SCORE_TOLERANCE);
    }
  }

  /** The number of detections compared. */
  int compared() {
    return compared;
  }

  @Override
  public String toString() {
    return String.format(
        java.util.Locale.ROOT,
        "%d detections compared: boxes within %.4f px, scores within %.2e, mask IoU >= %.4f",
        compared,
        maxBoxDifference,
        maxScoreDifference,
        minMaskIou);
  }

  /**
   * The candidate of the expected detection's label closest to it: box corners, and its score
   * weighted by 100.
   */
  static Instance closest(List<Instance> candidates, JsonNode expected) {
    JsonNode b = expected.get("box");
    Instance best = null;
    double bestDistance = Double.MAX_VALUE;
    for (Instance c : candidates) {
      if (c.classId() != expected.get("label").asInt()) {
        continue;
      }
      double d =
          Math.abs(c.x1() - b.get(0).asDouble())
              + Math.abs(c.y1() - b.get(1).asDouble())
              + Math.abs(c.x2() - b.get(2).asDouble())
              + Math.abs(c.y2() - b.get(3).asDouble())
              + 100 * Math.abs(c.score() - expected.get("score").asDouble());
      if (d < bestDistance) {
        bestDistance = d;
        best = c;
      }
    }
    return best;
  }
}
