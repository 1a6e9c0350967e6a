package io.maskstream.trainer.model;

import static io.maskstream.trainer.model.DetectionFixtures.assertClose;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.trainer.engine.Torch;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link InputTransform} against torchvision's {@code GeneralizedRCNNTransform} (transform.json):
 * one image scaled up until its long side reaches max_size, one scaled down to min_size.
 */
@SuppressWarnings("try") // each PointerScope releases the tensors a test creates
class InputTransformTest {
  static JsonNode fixtures;

  @BeforeAll
  static void load() throws IOException {
    try (InputStream in =
        InputTransformTest.class.getResourceAsStream("/torchvision/transform.json")) {
      fixtures = new ObjectMapper().readTree(in);
    }
    Torch.load();
  }

  private static InputTransform transform() {
    return new InputTransform(fixtures.get("min_size").asInt(), fixtures.get("max_size").asInt());
  }

  @Test
  void resizesNormalisesAndPadsImagesAsTorchvision() {
    try (PointerScope scope = new PointerScope()) {
      List<Tensor> images = new ArrayList<>();
      fixtures.get("inputs").forEach(in -> images.add(DetectionFixtures.tensor(in.get("image"))));
      try (InputTransform.Batch batch = transform().batch(images)) {
        long[] shape = DetectionFixtures.longs(fixtures.get("batch_shape"));
        assertThat(batch.images().shape()).containsExactly(shape);
        for (int i = 0; i < images.size(); i++) {
          JsonNode want = fixtures.get("outputs").get(i);
          int[] size = {want.get("size").get(0).asInt(), want.get("size").get(1).asInt()};
          assertThat(batch.sizes().get(i)).containsExactly(size);
          assertThat(batch.originalSizes().get(i))
              .containsExactly((int) images.get(i).size(1), (int) images.get(i).size(2));
          Tensor image = batch.images().select(0, i);
          assertClose(image.narrow(1, 0, size[0]).narrow(2, 0, size[1]), want.get("image"), 1e-5);
          // the padding is zero
          float[] all = Torch.toFloats(image);
          int height = (int) shape[2];
          int width = (int) shape[3];
          for (int p = 0; p < all.length; p++) {
            int y = p / width % height;
            int x = p % width;
            if (y >= size[0] || x >= size[1]) {
              assertThat(all[p]).as("padding at %d", p).isZero();
            }
          }
        }
      }
    }
  }

  @Test
  void scalesBoxesAndResizesMasksAsTorchvision() {
    InputTransform transform = transform();
    try (PointerScope scope = new PointerScope()) {
      for (int i = 0; i < 2; i++) {
        JsonNode in = fixtures.get("inputs").get(i);
        JsonNode want = fixtures.get("outputs").get(i);
        Tensor image = DetectionFixtures.tensor(in.get("image"));
        int[] original = {(int) image.size(1), (int) image.size(2)};
        int[] size = transform.resizedSize(original[0], original[1]);
        assertThat(size)
            .containsExactly(want.get("size").get(0).asInt(), want.get("size").get(1).asInt());
        assertClose(
            InputTransform.boxes(DetectionFixtures.tensor(in.get("boxes")), original, size),
            want.get("boxes"),
            0);
        Tensor masks = InputTransform.masks(DetectionFixtures.tensor(in.get("masks")), size);
        assertThat(Torch.toFloats(masks))
            .containsExactly(DetectionFixtures.floats(want.get("masks")));
      }
    }
  }

  @Test
  void bringsDetectionsBackToTheOriginalSizeAsTorchvision() {
    try (PointerScope scope = new PointerScope()) {
      for (int i = 0; i < 2; i++) {
        Tensor image = DetectionFixtures.tensor(fixtures.get("inputs").get(i).get("image"));
        int[] original = {(int) image.size(1), (int) image.size(2)};
        JsonNode size = fixtures.get("outputs").get(i).get("size");
        JsonNode found = fixtures.get("detections").get(i);
        JsonNode want = fixtures.get("postprocessed").get(i);
        Detections in =
            new Detections(
                DetectionFixtures.tensor(found.get("boxes")),
                Torch.floats(new float[] {0.9f, 0.8f, 0.7f}, 3),
                new long[] {1, 2, 3},
                DetectionFixtures.tensor(found.get("masks")));
        try (Detections out =
            InputTransform.postprocess(
                in, new int[] {size.get(0).asInt(), size.get(1).asInt()}, original)) {
          assertClose(out.boxes(), want.get("boxes"), 0);
          assertThat(out.masks().shape())
              .containsExactly(DetectionFixtures.shape(want.get("masks")));
          assertClose(out.masks(), want.get("masks"), 1e-5);
          assertThat(out.labels()).containsExactly(1, 2, 3);
        }
      }
    }
  }

  @Test
  void computesTheScaleInFloat32AndFloorsTheSize() {
    InputTransform transform = new InputTransform(800, 1333);
    // torchvision 0.14's output sizes for these images; a scale of exactly 800f / 480 would give
    // 799
    assertThat(transform.resizedSize(480, 640)).containsExactly(800, 1066);
    assertThat(transform.resizedSize(427, 640)).containsExactly(799, 1199);
    // the long side bounds the scale; 1333f / 1000 would give 1332
    assertThat(transform.resizedSize(100, 1000)).containsExactly(133, 1333);
    assertThat(transform.scale(100, 1000)).isEqualTo((1f / 1000) * 1333);
  }
}
