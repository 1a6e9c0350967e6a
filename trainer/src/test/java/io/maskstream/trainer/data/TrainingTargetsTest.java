package io.maskstream.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.schemas.rle.CocoRle;
import io.maskstream.trainer.engine.Torch;
import io.maskstream.trainer.model.GroundTruth;
import io.maskstream.trainer.model.InputTransform;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TrainingTargetsTest {
  static final int W = 6;
  static final int H = 4;

  @BeforeAll
  static void load() {
    Torch.load();
  }

  /** A mask of the pixels {@code x0 <= x < x1, y0 <= y < y1} of a W x H image. */
  static CocoRle rect(int x0, int y0, int x1, int y1, int width, int height) {
    byte[] m = new byte[width * height];
    for (int y = y0; y < y1; y++) {
      for (int x = x0; x < x1; x++) {
        m[y * width + x] = 1;
      }
    }
    return CocoRle.encodeRowMajor(m, height, width);
  }

  static int[] pixels() {
    int[] rgb = new int[W * H];
    for (int i = 0; i < rgb.length; i++) {
      rgb[i] = (i * 10) << 16 | (255 - i) << 8 | (i * 3);
    }
    return rgb;
  }

  static final List<Instance> INSTANCES =
      List.of(
          new Instance(1, 7, 2, false, new double[] {1, 0, 3, 2}, rect(1, 0, 3, 2, W, H)),
          new Instance(2, 7, 2, true, new double[] {0, 0, 6, 4}, rect(0, 0, 6, 4, W, H)),
          // outside the image once clamped: no width left
          new Instance(3, 3, 1, false, new double[] {6.5, 1, 9, 3}, rect(5, 1, 6, 3, W, H)),
          new Instance(4, 3, 1, false, new double[] {4, 1, 6.5, 3.5}, rect(4, 1, 6, 4, W, H)));

  @Test
  void leavesOutCrowdRegionsAndEmptyBoxesAndScalesPixelsToUnitRange() {
    try (TrainingTargets.Example e = TrainingTargets.example(9, pixels(), W, H, INSTANCES, false)) {
      assertThat(e.imageId()).isEqualTo(9);
      GroundTruth t = e.target();
      assertThat(t.labels()).containsExactly(2, 1);
      assertThat(Torch.toFloats(t.boxes())).containsExactly(1, 0, 3, 2, 4, 1, 6, 3.5f);
      float[] masks = Torch.toFloats(t.masks());
      assertThat(masks).hasSize(2 * W * H);
      assertThat(masks[0 * W + 1]).isEqualTo(1f);
      assertThat(masks[0 * W + 3]).isEqualTo(0f);
      assertThat(masks[W * H + 3 * W + 5]).isEqualTo(1f);
      float[] image = Torch.toFloats(e.image());
      int p = 2 * W + 5;
      assertThat(image[p]).isEqualTo((p * 10) / 255f);
      assertThat(image[W * H + p]).isEqualTo((255 - p) / 255f);
      assertThat(image[2 * W * H + p]).isEqualTo((p * 3) / 255f);
    }
  }

  @Test
  void flipsImageBoxesAndMasksLeftToRight() {
    try (TrainingTargets.Example plain =
            TrainingTargets.example(9, pixels(), W, H, INSTANCES, false);
        TrainingTargets.Example flipped =
            TrainingTargets.example(9, pixels(), W, H, INSTANCES, true)) {
      assertThat(Torch.toFloats(flipped.target().boxes()))
          .containsExactly(3, 0, 5, 2, 0, 1, 2, 3.5f);
      float[] a = Torch.toFloats(plain.image());
      float[] b = Torch.toFloats(flipped.image());
      float[] ma = Torch.toFloats(plain.target().masks());
      float[] mb = Torch.toFloats(flipped.target().masks());
      for (int c = 0; c < 3; c++) {
        for (int y = 0; y < H; y++) {
          for (int x = 0; x < W; x++) {
            int mirrored = (c * H + y) * W + (W - 1 - x);
            assertThat(b[(c * H + y) * W + x]).isEqualTo(a[mirrored]);
            if (c < 2) {
              assertThat(mb[(c * H + y) * W + x]).isEqualTo(ma[mirrored]);
            }
          }
        }
      }
      assertThat(flipped.target().labels()).containsExactly(plain.target().labels());
    }
  }

  @Test
  void resizesTheObjectsWithTheImage() {
    int w = 20;
    int h = 10;
    List<Instance> one =
        List.of(new Instance(1, 7, 1, false, new double[] {2, 3, 7, 9}, rect(2, 3, 7, 9, w, h)));
    try (TrainingTargets.Example e = TrainingTargets.example(1, new int[w * h], w, h, one, false)) {
      GroundTruth t = TrainingTargets.resized(e, new InputTransform(20, 40));
      try {
        assertThat(Torch.toFloats(t.boxes())).containsExactly(4, 6, 14, 18);
        assertThat(t.masks().shape()).containsExactly(1, 20, 40);
        float[] m = Torch.toFloats(t.masks());
        assertThat(m[6 * 40 + 4]).isEqualTo(1f);
        assertThat(m[17 * 40 + 13]).isEqualTo(1f);
        assertThat(m[18 * 40 + 13]).isEqualTo(0f);
        assertThat(m[6 * 40 + 3]).isEqualTo(0f);
        double sum = 0;
        for (float v : m) {
          sum += v;
        }
        assertThat(sum).isEqualTo(4 * 5 * 6);
      } finally {
        t.boxes().close();
        t.masks().close();
      }
    }
  }

  @Test
  void keepsImagesWithAnAnnotationLargerThanOnePixelAsTorchvision() {
    Path file = Path.of("x.png");
    assertThat(TrainingTargets.usable(new Sample(1, file, W, H, List.of()))).isFalse();
    Instance thin = new Instance(1, 7, 1, false, new double[] {0, 0, 1, 3}, rect(0, 0, 1, 3, W, H));
    assertThat(TrainingTargets.usable(new Sample(2, file, W, H, List.of(thin)))).isFalse();
    // a crowd region counts, as in torchvision's filter
    Sample crowd = new Sample(3, file, W, H, List.of(thin, INSTANCES.get(1)));
    assertThat(TrainingTargets.usable(crowd)).isTrue();
    assertThat(TrainingTargets.usable(List.of(new Sample(2, file, W, H, List.of(thin)), crowd)))
        .extracting(Sample::imageId)
        .containsExactly(3L);
  }
}
