package io.maskstream.trainer.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.trainer.coco.CocoFile;
import io.maskstream.trainer.coco.CocoFormatException;
import io.maskstream.trainer.coco.CocoJson;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Keypoint AP (object keypoint similarity) against real pycocotools' {@code
 * COCOeval(iouType='keypoints')} on the committed cases of {@code make_keypoint_fixtures.py}.
 */
class KeypointEvalTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static Path dir(String name) throws Exception {
    return Path.of(KeypointEvalTest.class.getResource("/coco/keypoints/" + name).toURI());
  }

  static EvalSummary evaluate(Path dir, double[] sigmas) {
    CocoFile truth = CocoJson.readAnnotations(dir.resolve("annotations.json"));
    CocoResults results = CocoResults.read(dir.resolve("results.json"), truth);
    assertThat(results.hasKeypoints()).isTrue();
    return sigmas == null
        ? CocoEvaluator.evaluate(truth, results, IouType.KEYPOINTS)
        : CocoEvaluator.evaluate(truth, results, IouType.KEYPOINTS, sigmas);
  }

  static void assertPycocotools(EvalSummary summary, Path dir) throws Exception {
    JsonNode expected = JSON.readTree(dir.resolve("expected.json").toFile());
    double[] stats = summary.stats();
    assertThat(stats).hasSize(10);
    for (int i = 0; i < stats.length; i++) {
      assertThat(stats[i])
          .as("stat %d", i)
          .isCloseTo(expected.get("keypoints").get(i).asDouble(), within(1e-6));
    }
    List<String> lines = new ArrayList<>();
    expected.get("keypoints_lines").forEach(l -> lines.add(l.asText()));
    assertThat(summary.lines()).containsExactlyElementsOf(lines);
  }

  @Test
  void personKeypointsWithCocoSigmasEqualPycocotools() throws Exception {
    // crowds, a person without labelled keypoints, hidden and unlabelled keypoints, small people,
    // an image without people, doubled detections and more than 20 on one image
    Path dir = dir("person");
    assertPycocotools(evaluate(dir, null), dir);
  }

  @Test
  void otherKeypointsWithTheirOwnSigmasEqualPycocotools() throws Exception {
    Path dir = dir("shapes");
    double[] sigmas = JSON.readValue(dir.resolve("sigmas.json").toFile(), double[].class);
    EvalSummary summary = evaluate(dir, sigmas);
    assertPycocotools(summary, dir);
    // the category without ground truth is left out of the means, as its AP
    assertThat(summary.categoryAp()).containsOnlyKeys(1L);
  }

  @Test
  void keypointsOfAnotherCountThanTheSigmasAreRefusedSayingSo() throws Exception {
    Path dir = dir("shapes");
    assertThatThrownBy(() -> evaluate(dir, null))
        .isInstanceOf(CocoFormatException.class)
        .hasMessageContaining("has 4 keypoints, but there are 17 keypoint sigmas");
  }
}
