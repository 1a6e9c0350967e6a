package io.maskstream.detector.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import com.fasterxml.jackson.databind.JsonNode;
import io.maskstream.detector.DetectorConfig;
import io.maskstream.detector.Fixtures;
import io.maskstream.detector.Instance;
import io.maskstream.detector.KeypointLayout;
import io.maskstream.detector.Segmentation;
import io.maskstream.schemas.models.CocoCategories;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The ONNX export of a torchvision Keypoint R-CNN (no mask head, COCO's 17 person keypoints), run
 * through the detector's decode, pre- and post-processing, against torchvision's own eager outputs
 * on the same images (keypoints-eager.json, make_keypoint_fixture.py): the same detections, boxes
 * within half a pixel, scores within 1e-3, keypoints within half a pixel and their scores within
 * 1e-2.
 */
class KeypointFixtureTest {
  private static final float THRESHOLD = 0.05f;
  private static ModelSegmenter segmenter;

  @BeforeAll
  static void load() throws ModelLoadException {
    segmenter =
        ModelSegmenter.open(
            DetectorConfig.builder()
                .model(Fixtures.path("keypoints-torchvision.onnx"))
                .device(Device.CPU)
                .intraOpThreads(2)
                .scoreThreshold(THRESHOLD)
                .build());
  }

  @AfterAll
  static void close() {
    segmenter.close();
  }

  @Test
  void recognisesAKeypointRcnnWithoutMasksAndNamesCocosPersonKeypoints() {
    OnnxMaskRcnn model = segmenter.currentModel();
    assertThat(model.contract()).isEqualTo(GraphContract.TORCHVISION);
    assertThat(model.classes().names()).containsExactly("__background__", "person");
    assertThat(model.keypointLayout())
        .isEqualTo(
            new KeypointLayout(CocoCategories.PERSON_KEYPOINTS, CocoCategories.PERSON_SKELETON));
  }

  @Test
  void reproducesTorchvisionsEagerKeypoints() throws Exception {
    int compared = 0;
    double worstPoint = 0;
    double worstPointScore = 0;
    for (JsonNode image : Fixtures.json("keypoints-eager.json").get("images")) {
      String file = image.get("file").asText();
      Segmentation s = segmenter.segment(Files.readAllBytes(Fixtures.path(file)));
      assertThat(s.keypoints().count()).isEqualTo(17);
      List<Instance> unmatched = new ArrayList<>(s.instances());
      for (JsonNode want : image.get("detections")) {
        Instance got = EagerReference.closest(unmatched, want);
        assertThat(got).as("%s: %s", file, want).isNotNull();
        unmatched.remove(got);
        JsonNode box = want.get("box");
        float[] b = {got.x1(), got.y1(), got.x2(), got.y2()};
        for (int i = 0; i < 4; i++) {
          assertThat(b[i]).isCloseTo((float) box.get(i).asDouble(), offset(0.5f));
        }
        assertThat(got.score()).isCloseTo((float) want.get("score").asDouble(), offset(1e-3f));
        assertThat(got.mask()).isNull();
        float[] points = got.keypoints();
        assertThat(points).hasSize(17 * 3);
        for (int j = 0; j < 17; j++) {
          JsonNode p = want.get("keypoints").get(j);
          double dx = Math.abs(points[3 * j] - p.get(0).asDouble());
          double dy = Math.abs(points[3 * j + 1] - p.get(1).asDouble());
          double ds = Math.abs(points[3 * j + 2] - want.get("keypoints_scores").get(j).asDouble());
          assertThat(Math.max(dx, dy)).as("%s: keypoint %d of %s", file, j, want).isLessThan(0.5);
          assertThat(ds).as("%s: score of keypoint %d", file, j).isLessThan(1e-2);
          worstPoint = Math.max(worstPoint, Math.max(dx, dy));
          worstPointScore = Math.max(worstPointScore, ds);
        }
        compared++;
      }
      assertThat(unmatched).as("%s: detections torchvision did not make", file).isEmpty();
    }
    assertThat(compared).isGreaterThanOrEqualTo(30);
    LoggerFactory.getLogger(KeypointFixtureTest.class)
        .info(
            "{} detections: keypoints within {} px, keypoint scores within {}",
            compared,
            worstPoint,
            worstPointScore);
  }
}
