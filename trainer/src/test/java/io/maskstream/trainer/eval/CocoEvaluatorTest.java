package io.maskstream.trainer.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.trainer.coco.CocoFile;
import io.maskstream.trainer.coco.CocoJson;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CocoEvaluatorTest {
  static Path resource(String name) throws URISyntaxException {
    return Path.of(CocoEvaluatorTest.class.getResource("/coco/" + name).toURI());
  }

  @Test
  void everyStatEqualsPycocotoolsOnTheReferenceFixture() throws Exception {
    CocoFile gt = CocoJson.readAnnotations(resource("eval/annotations.json"));
    CocoResults results = CocoResults.read(resource("eval/results.json"), gt);
    JsonNode expected = new ObjectMapper().readTree(resource("eval/expected.json").toFile());
    for (IouType type : List.of(IouType.BBOX, IouType.SEGM)) {
      EvalSummary summary = CocoEvaluator.evaluate(gt, results, type);
      JsonNode want = expected.get(type.cocoName());
      for (int i = 0; i < 12; i++) {
        assertThat(summary.stat(i))
            .as("%s stat %d", type.cocoName(), i)
            .isCloseTo(want.get(i).asDouble(), within(1e-6));
      }
    }
  }

  @Test
  void eachCategorysApIsWhatPycocotoolsGivesForThatCategoryAloneAndTheyAverageToTheAp()
      throws Exception {
    CocoFile gt = CocoJson.readAnnotations(resource("eval/annotations.json"));
    CocoResults results = CocoResults.read(resource("eval/results.json"), gt);
    for (IouType type : List.of(IouType.BBOX, IouType.SEGM)) {
      EvalSummary summary = CocoEvaluator.evaluate(gt, results, type);
      assertThat(summary.categoryAp()).hasSizeGreaterThan(1);
      assertThat(summary.categoryAp().values().stream().mapToDouble(d -> d).average().orElseThrow())
          .isCloseTo(summary.stat(0), within(1e-12));
      for (var e : summary.categoryAp().entrySet()) {
        CocoFile one =
            new CocoFile(
                gt.images(),
                gt.categories().stream().filter(c -> c.id() == e.getKey()).toList(),
                gt.annotations());
        EvalSummary alone = CocoEvaluator.evaluate(one, results, type);
        assertThat(alone.stat(0))
            .as("%s category %d", type.cocoName(), e.getKey())
            .isCloseTo(e.getValue(), within(1e-12));
        assertThat(alone.categoryAp()).containsOnlyKeys(e.getKey());
      }
    }
  }

  @Test
  void crowdPolygonsAndUncompressedRleEqualPycocotools() throws Exception {
    CocoFile gt = CocoJson.readAnnotations(resource("crowd/annotations.json"));
    JsonNode expected = new ObjectMapper().readTree(resource("crowd/expected.json").toFile());
    for (String file : List.of("results.json", "results-masks-only.json")) {
      CocoResults results = CocoResults.read(resource("crowd/" + file), gt);
      for (IouType type : List.of(IouType.BBOX, IouType.SEGM)) {
        EvalSummary summary = CocoEvaluator.evaluate(gt, results, type);
        JsonNode want = expected.get(file).get(type.cocoName());
        for (int i = 0; i < 12; i++) {
          assertThat(summary.stat(i))
              .as("%s %s stat %d", file, type.cocoName(), i)
              .isCloseTo(want.get(i).asDouble(), within(1e-6));
        }
        List<String> lines = new ArrayList<>();
        expected.get(file).get(type.cocoName() + "_lines").forEach(l -> lines.add(l.asText()));
        assertThat(summary.lines()).containsExactlyElementsOf(lines);
      }
    }
  }

  @Test
  void thresholdsAreNumpysValues() {
    assertThat(CocoEvaluator.IOU_THRESHOLDS[5]).isEqualTo(0.75);
    assertThat(CocoEvaluator.IOU_THRESHOLDS[8]).isEqualTo(0.8999999999999999);
    assertThat(CocoEvaluator.RECALL_THRESHOLDS[29]).isEqualTo(0.29);
    assertThat(CocoEvaluator.RECALL_THRESHOLDS[100]).isEqualTo(1.0);
  }

  @Test
  void formatsLikePython() throws IOException {
    assertThat(EvalSummary.threeDecimals(0.1235)).isEqualTo("0.123"); // 0.12349999...
    assertThat(EvalSummary.threeDecimals(0.0005)).isEqualTo("0.001"); // 0.00050000...01
    assertThat(EvalSummary.threeDecimals(-1)).isEqualTo("-1.000");
    assertThat(EvalSummary.threeDecimals(1)).isEqualTo("1.000");
  }
}
