package io.maskstream.detector.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.maskstream.detector.DetectorConfig;
import io.maskstream.detector.Fixtures;
import io.maskstream.detector.Segmentation;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A small Mask R-CNN behind the ONNX Model Zoo's MaskRCNN contract (BGR minus the Caffe means,
 * resized and padded outside the graph, 28x28 masks the caller pastes), made by {@code
 * src/test/python/make_zoo_fixture.py}, run through the detector's decode, pre- and post-processing
 * against the eager outputs of the same graph in torchvision.
 */
class ZooFixtureTest {
  /** torchvision's own box_score_thresh: the eager outputs hold every detection above it. */
  private static final float EAGER_SCORE_THRESHOLD = 0.05f;

  private static ModelSegmenter segmenter;

  @BeforeAll
  static void load() throws ModelLoadException {
    segmenter = ModelSegmenter.open(config().labels(labels()).build());
  }

  @AfterAll
  static void close() {
    segmenter.close();
  }

  private static DetectorConfig.Builder config() {
    return DetectorConfig.builder()
        .model(Fixtures.path("shapes-zoo.onnx"))
        .device(Device.CPU)
        .intraOpThreads(2)
        .scoreThreshold(EAGER_SCORE_THRESHOLD);
  }

  private static Path labels() {
    return Fixtures.path("zoo-labels.txt");
  }

  @Test
  void recognisesTheZooContractFromTheMaskOutputAndNamesClassesFromTheLabelsFile() {
    OnnxMaskRcnn model = segmenter.currentModel();
    assertThat(model.contract()).isEqualTo(GraphContract.ONNX_ZOO);
    assertThat(model.classes().names())
        .containsExactly("__background__", "rectangle", "ellipse", "triangle");
    assertThat(model.identity().name()).isEqualTo("shapes-zoo");
  }

  @Test
  void withoutALabelsFileTheClassesAreCocosContiguous81AndTheContractCanBeNamed()
      throws ModelLoadException {
    try (OnnxMaskRcnn model = OnnxMaskRcnn.load(config().build())) {
      assertThat(model.contract()).isEqualTo(GraphContract.ONNX_ZOO);
      assertThat(model.classes().names()).hasSize(81);
      assertThat(model.classes().label(1)).isEqualTo("person");
    }
    try (OnnxMaskRcnn model =
        OnnxMaskRcnn.load(config().contract(GraphContract.ONNX_ZOO).labels(labels()).build())) {
      assertThat(model.contract()).isEqualTo(GraphContract.ONNX_ZOO);
    }
  }

  @Test
  void reproducesTheEagerOutputsOfTheGraph() throws Exception {
    JsonNode eager = Fixtures.json("zoo-eager.json");
    EagerReference reference = new EagerReference();
    for (JsonNode image : eager.get("images")) {
      byte[] png = Files.readAllBytes(Fixtures.path(image.get("file").asText()));
      Segmentation actual = segmenter.segment(png);
      int before = reference.compared();
      reference.assertReproduces(image, actual, EAGER_SCORE_THRESHOLD);
      if (!image.get("detections").isEmpty()) {
        assertThat(reference.compared() - before)
            .as("%s: detections compared", image.get("file"))
            .isGreaterThanOrEqualTo(2);
      }
    }
    System.out.println("zoo fixture: " + reference);
  }

  @Test
  void anImageResizedBeforeTheGraphHasItsBoxesAndMasksInItsOwnPixels() throws Exception {
    // 532x400: the detector resizes it to 1064x800 for the graph, then scales the boxes back
    JsonNode image = Fixtures.json("zoo-eager.json").get("images").get(2);
    assertThat(image.get("width").asInt()).isEqualTo(532);
    Segmentation actual = segmenter.segment(Files.readAllBytes(Fixtures.path("zoo-image2.png")));
    assertThat(actual.instances()).isNotEmpty();
    assertThat(actual.instances())
        .allSatisfy(
            i -> {
              assertThat(i.mask().height()).isEqualTo(400);
              assertThat(i.mask().width()).isEqualTo(532);
            });
    new EagerReference().assertReproduces(image, actual, EAGER_SCORE_THRESHOLD);
  }

  @Test
  void aFlatImageGivesNoDetections() throws Exception {
    Segmentation s = segmenter.segment(Files.readAllBytes(Fixtures.path("zoo-image3.png")));
    assertThat(s.width()).isEqualTo(1064);
    assertThat(s.height()).isEqualTo(800);
    assertThat(s.instances()).isEmpty();
  }
}
