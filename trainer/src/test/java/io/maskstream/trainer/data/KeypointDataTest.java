package io.maskstream.trainer.data;

import static io.maskstream.trainer.data.TrainingTargetsTest.H;
import static io.maskstream.trainer.data.TrainingTargetsTest.W;
import static io.maskstream.trainer.data.TrainingTargetsTest.pixels;
import static io.maskstream.trainer.data.TrainingTargetsTest.rect;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.maskstream.schemas.cli.UserException;
import io.maskstream.trainer.coco.CocoCategory;
import io.maskstream.trainer.engine.Torch;
import io.maskstream.trainer.model.GroundTruth;
import io.maskstream.trainer.model.InputTransform;
import io.maskstream.trainer.shapes.ShapesConfig;
import io.maskstream.trainer.shapes.ShapesGenerator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keypoints from the dataset to the training targets: the categories' keypoint names and flip
 * pairs, the annotations' checks, and the flip and resize of torchvision's reference training
 * ({@code _flip_coco_person_keypoints}, {@code resize_keypoints}).
 */
class KeypointDataTest {
  @TempDir Path dir;

  @BeforeAll
  static void load() {
    Torch.load();
  }

  static CocoCategory category(long id, List<String> names, List<List<String>> flipMap) {
    return new CocoCategory(id, "c" + id, null, names, List.of(List.of(1, 2)), flipMap);
  }

  @Test
  void flipPairsComeFromTheFlipMapOrFromLeftAndRightInTheNames() {
    List<String> coco =
        List.of(
            "nose", "left_eye", "right_eye", "left_ear", "right_ear", "Left Hand", "Right Hand");
    KeypointSpec derived = KeypointSpec.of(List.of(category(1, coco, List.of())), "a.json");
    // torchvision's flip_inds for COCO's person keypoints begin 0, 2, 1, 4, 3
    assertThat(derived.flip()).containsExactly(0, 2, 1, 4, 3, 6, 5);
    KeypointSpec mapped =
        KeypointSpec.of(
            List.of(
                new CocoCategory(9, "no keypoints", null),
                category(
                    1,
                    List.of("top", "right", "bottom", "left"),
                    List.of(List.of("right", "left")))),
            "a.json");
    assertThat(mapped.flip()).containsExactly(0, 3, 2, 1);
    assertThat(mapped.count()).isEqualTo(4);
    assertThat(KeypointSpec.of(List.of(new CocoCategory(1, "a", null)), "a.json")).isNull();
    assertThatThrownBy(
            () ->
                KeypointSpec.of(
                    List.of(
                        category(1, List.of("a", "b"), List.of()),
                        category(2, List.of("a", "c"), List.of())),
                    "a.json"))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("categories c1 and c2 name different keypoints")
        .hasMessageContaining("give them the same");
    assertThatThrownBy(
            () ->
                KeypointSpec.of(
                    List.of(
                        category(
                            1,
                            List.of("a", "b", "c"),
                            List.of(List.of("a", "b"), List.of("b", "c")))),
                    "a.json"))
        .hasMessageContaining("list each keypoint in one pair at most");
  }

  @Test
  void aFlipMirrorsXSwapsThePairsAndZeroesUnlabelledPoints() {
    // keypoints: a (1, 0.5, 2), b (2.5, 1, 1), c unlabelled; b and a swap in a mirror
    float[] points = {1f, 0.5f, 2f, 2.5f, 1f, 1f, 9f, 9f, 0f};
    List<Instance> one =
        List.of(
            new Instance(
                1, 7, 1, false, new double[] {1, 0, 3, 2}, rect(1, 0, 3, 2, W, H), points));
    int[] flip = {1, 0, 2};
    try (TrainingTargets.Example e = TrainingTargets.example(3, pixels(), W, H, one, false, flip);
        TrainingTargets.Example m = TrainingTargets.example(3, pixels(), W, H, one, true, flip)) {
      assertThat(Torch.toFloats(e.target().keypoints())).containsExactly(points);
      assertThat(e.target().keypoints().shape()).containsExactly(1, 3, 3);
      // x' = W - x, a takes b's place and b a's; c stays all 0
      assertThat(Torch.toFloats(m.target().keypoints()))
          .containsExactly(W - 2.5f, 1f, 1f, W - 1f, 0.5f, 2f, 0f, 0f, 0f);
      // resized as the boxes are: x by w'/w, y by h'/h, visibility kept
      GroundTruth resized = TrainingTargets.resized(e, new InputTransform(8, 12));
      assertThat(Torch.toFloats(resized.keypoints()))
          .containsExactly(2f, 1f, 2f, 5f, 2f, 1f, 18f, 18f, 0f);
      resized.boxes().close();
      resized.masks().close();
      resized.keypoints().close();
    }
  }

  @Test
  void aShapesKeypointDatasetLoadsWithItsKeypointsAndBadKeypointsAreNamed() throws Exception {
    Path data = dir.resolve("data");
    new ShapesGenerator(new ShapesConfig(64, 64, 1, 2, 30, 64, 64, 10), true)
        .writeDataset(data, 3, 2);
    CocoDataset dataset = CocoDataset.load(data, false);
    KeypointSpec spec = dataset.keypoints().orElseThrow();
    assertThat(spec.names()).containsExactly("top", "right", "bottom", "left");
    assertThat(spec.flip()).containsExactly(0, 3, 2, 1);
    Instance first = dataset.samples().get(0).instances().get(0);
    assertThat(first.keypoints()).hasSize(12);
    assertThat(dataset.samples().get(0).keypoints()).isSameAs(spec);

    String json = Files.readString(data.resolve("annotations.json"));
    // the first annotation's first visibility (2 or 1) made 3
    int at = json.indexOf("\"keypoints\":[");
    int third = nthComma(json, at, 2);
    String bad = json.substring(0, third + 1) + "3" + json.substring(json.indexOf(',', third + 1));
    Files.writeString(data.resolve("annotations.json"), bad);
    assertThatThrownBy(() -> CocoDataset.load(data, false))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("keypoint top has visibility 3.0")
        .hasMessageContaining("--skip-bad");
    assertThat(CocoDataset.load(data, true).skippedAnnotations()).isEqualTo(1);
  }

  private static int nthComma(String s, int from, int n) {
    int at = from;
    for (int i = 0; i < n; i++) {
      at = s.indexOf(',', at + 1);
    }
    return at;
  }
}
