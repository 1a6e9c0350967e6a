package io.maskstream.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.maskstream.trainer.engine.Torch;
import io.maskstream.trainer.model.GroundTruth;
import io.maskstream.trainer.model.InputTransform;
import io.maskstream.trainer.model.MaskRcnn;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchLoaderTest {
  static final InputTransform TRANSFORM = new InputTransform(32, 48);

  @TempDir Path dir;

  @BeforeAll
  static void load() {
    Torch.load();
  }

  /** Five images of different sizes with random pixels, each with one object and a crowd. */
  List<Sample> samples() throws IOException {
    List<Sample> out = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(3);
    for (int id = 1; id <= 5; id++) {
      int w = 10 + 3 * id;
      int h = 30 - 2 * id;
      BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          image.setRGB(x, y, random.nextInt(1 << 24));
        }
      }
      Path file = dir.resolve(id + ".png");
      ImageIO.write(image, "png", file.toFile());
      out.add(
          new Sample(
              id,
              file,
              w,
              h,
              List.of(
                  new Instance(
                      10 + id,
                      7,
                      1 + id % 2,
                      false,
                      new double[] {1, 2, 1 + id, 8},
                      TrainingTargetsTest.rect(1, 2, 1 + id, 8, w, h)),
                  new Instance(
                      20 + id,
                      7,
                      1,
                      true,
                      new double[] {0, 0, 5, 5},
                      TrainingTargetsTest.rect(0, 0, 5, 5, w, h)))));
    }
    return out;
  }

  /** The first {@code n} batches as plain values: ids, flips, images, boxes, labels, masks. */
  static List<List<Object>> take(BatchLoader loader, int n) {
    List<List<Object>> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      try (BatchLoader.TrainingBatch b = loader.next()) {
        assertThat(b.index()).isEqualTo(i);
        List<Object> values = new ArrayList<>();
        values.add(b.imageIds());
        values.add(b.flipped());
        values.add(toList(b.inputs().images()));
        for (GroundTruth t : b.targets()) {
          values.add(toList(t.boxes()));
          values.add(List.of(t.labels()[0]));
          values.add(toList(t.masks()));
        }
        out.add(values);
      }
    }
    return out;
  }

  static List<Float> toList(Tensor t) {
    List<Float> out = new ArrayList<>();
    for (float v : Torch.toFloats(t)) {
      out.add(v);
    }
    return out;
  }

  @Test
  void theSameSeedGivesTheSameBatchesWhateverTheThreads() throws IOException {
    List<Sample> samples = samples();
    List<List<Object>> one;
    List<List<Object>> three;
    List<List<Object>> other;
    try (BatchLoader loader = new BatchLoader(samples, TRANSFORM, 2, 42, 1, 1)) {
      one = take(loader, 6);
    }
    try (BatchLoader loader = new BatchLoader(samples, TRANSFORM, 2, 42, 3, 4)) {
      three = take(loader, 6);
    }
    try (BatchLoader loader = new BatchLoader(samples, TRANSFORM, 2, 43, 2, 2)) {
      other = take(loader, 6);
    }
    assertThat(three).isEqualTo(one);
    assertThat(other).isNotEqualTo(one);
  }

  @Test
  void eachEpochVisitsEverySampleOnceInItsOwnOrderAndFlipsSome() throws IOException {
    List<Sample> samples = samples();
    List<Long> ids = new ArrayList<>();
    Set<Boolean> flips = new HashSet<>();
    try (BatchLoader loader = new BatchLoader(samples, TRANSFORM, 5, 7, 2, 2)) {
      for (int i = 0; i < 4; i++) {
        try (BatchLoader.TrainingBatch b = loader.next()) {
          ids.addAll(b.imageIds());
          flips.addAll(b.flipped());
          assertThat(b.inputs().images().size(0)).isEqualTo(5);
          assertThat(b.inputs().images().size(2) % 32).isZero();
          assertThat(b.inputs().images().size(3) % 32).isZero();
          for (int k = 0; k < 5; k++) {
            // crowd regions are left out: one object per image
            assertThat(b.targets().get(k).labels()).hasSize(1);
            int[] size = b.inputs().sizes().get(k);
            assertThat(b.targets().get(k).masks().shape()).containsExactly(1, size[0], size[1]);
          }
        }
      }
    }
    List<List<Long>> epochs = new ArrayList<>();
    for (int e = 0; e < 4; e++) {
      List<Long> epoch = ids.subList(5 * e, 5 * e + 5);
      assertThat(epoch).containsExactlyInAnyOrder(1L, 2L, 3L, 4L, 5L);
      epochs.add(epoch);
    }
    assertThat(new HashSet<>(epochs)).hasSizeGreaterThan(1);
    assertThat(flips).containsExactlyInAnyOrder(true, false);
  }

  @Test
  void aBatchHoldsTheSamplesAsTheTransformPreparesThem() throws IOException {
    List<Sample> samples = samples();
    try (BatchLoader loader = new BatchLoader(samples, TRANSFORM, 3, 11, 2, 3);
        BatchLoader.TrainingBatch b = loader.next()) {
      for (int k = 0; k < 3; k++) {
        long id = b.imageIds().get(k);
        Sample sample = samples.get((int) id - 1);
        try (TrainingTargets.Example e = TrainingTargets.example(sample, b.flipped().get(k));
            InputTransform.Batch alone = TRANSFORM.batch(List.of(e.image()))) {
          GroundTruth want = TrainingTargets.resized(e, TRANSFORM);
          GroundTruth got = b.targets().get(k);
          try {
            assertThat(toList(got.boxes())).isEqualTo(toList(want.boxes()));
            assertThat(toList(got.masks())).isEqualTo(toList(want.masks()));
            int[] size = alone.sizes().get(0);
            assertThat(b.inputs().sizes().get(k)).containsExactly(size);
            try (Tensor mine =
                    b.inputs().images().select(0, k).narrow(1, 0, size[0]).narrow(2, 0, size[1]);
                Tensor expected =
                    alone.images().select(0, 0).narrow(1, 0, size[0]).narrow(2, 0, size[1])) {
              assertThat(toList(mine)).isEqualTo(toList(expected));
            }
          } finally {
            want.boxes().close();
            want.masks().close();
          }
        }
      }
    }
  }

  @Test
  void multiScaleResizesEachImageByOneOfTheSizesChosenByTheSeedAloneAndKeepsTheFlips()
      throws IOException {
    List<Sample> samples = samples();
    List<InputTransform> sizes = List.of(TRANSFORM.withMinSize(24), TRANSFORM);
    Set<Integer> shortSides = new HashSet<>();
    List<List<Boolean>> flips = new ArrayList<>();
    List<List<int[]>> seen = new ArrayList<>();
    try (BatchLoader loader = new BatchLoader(samples, sizes, 5, 7, 2, 2, 0)) {
      for (int i = 0; i < 4; i++) {
        try (BatchLoader.TrainingBatch b = loader.next()) {
          flips.add(b.flipped());
          seen.add(b.inputs().sizes());
          for (int k = 0; k < 5; k++) {
            Sample sample = samples.get((int) (long) b.imageIds().get(k) - 1);
            int[] size = b.inputs().sizes().get(k);
            InputTransform used =
                sizes.stream()
                    .filter(
                        t ->
                            java.util.Arrays.equals(
                                t.resizedSize(sample.height(), sample.width()), size))
                    .findFirst()
                    .orElseThrow();
            shortSides.add(used.minSize());
            // the targets are in the chosen size's pixels
            assertThat(b.targets().get(k).masks().size(1)).isEqualTo(size[0]);
            assertThat(b.targets().get(k).masks().size(2)).isEqualTo(size[1]);
          }
        }
      }
    }
    assertThat(shortSides).containsExactlyInAnyOrder(24, 32);
    List<List<Boolean>> singleFlips = new ArrayList<>();
    try (BatchLoader loader = new BatchLoader(samples, TRANSFORM, 5, 7, 2, 2)) {
      for (int i = 0; i < 4; i++) {
        try (BatchLoader.TrainingBatch b = loader.next()) {
          singleFlips.add(b.flipped());
        }
      }
    }
    assertThat(flips).isEqualTo(singleFlips);
    try (BatchLoader again = new BatchLoader(samples, sizes, 5, 7, 1, 1, 0)) {
      for (int i = 0; i < 4; i++) {
        try (BatchLoader.TrainingBatch b = again.next()) {
          for (int k = 0; k < 5; k++) {
            assertThat(b.inputs().sizes().get(k)).containsExactly(seen.get(i).get(k));
          }
        }
      }
    }
  }

  @Test
  void aBatchTrainsTheModel() throws IOException {
    try (BatchLoader loader = new BatchLoader(samples(), TRANSFORM, 2, 5, 2, 1);
        BatchLoader.TrainingBatch b = loader.next();
        MaskRcnn model = MaskRcnn.tiny(new SplittableRandom(4), 3)) {
      Map<String, Tensor> losses =
          model.losses(
              b.inputs().images(), b.inputs().sizes(), b.targets(), new SplittableRandom(6));
      try {
        assertThat(losses).hasSize(5);
        losses.values().forEach(l -> assertThat(Double.isFinite(Torch.toFloats(l)[0])).isTrue());
        // an untrained classifier and mask head are wrong on the batch's objects
        assertThat((double) Torch.toFloats(losses.get("loss_classifier"))[0]).isPositive();
        assertThat((double) Torch.toFloats(losses.get("loss_mask"))[0]).isPositive();
      } finally {
        losses.values().forEach(Tensor::close);
      }
    }
  }

  @Test
  void closingTheLoaderAndItsBatchesReleasesEveryNativeTensor() throws IOException {
    List<Sample> samples = samples();
    try (BatchLoader warmUp = new BatchLoader(samples, TRANSFORM, 2, 1, 2, 2)) {
      take(warmUp, 2);
    }
    long before = Pointer.totalCount();
    try (BatchLoader loader = new BatchLoader(samples, TRANSFORM, 2, 1, 2, 3)) {
      take(loader, 5);
    }
    assertThat(Pointer.totalCount()).isLessThanOrEqualTo(before);
  }

  @Test
  void anUnreadableImageIsNamedAndClosingWithBatchesInFlightReturns() throws IOException {
    List<Sample> samples = new ArrayList<>(samples());
    Path broken = dir.resolve("broken.png");
    Files.writeString(broken, "not an image");
    samples.set(0, new Sample(1, broken, 13, 28, samples.get(0).instances()));
    try (BatchLoader loader = new BatchLoader(samples, TRANSFORM, 5, 1, 2, 3)) {
      assertThatThrownBy(loader::next)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("image 1")
          .hasMessageContaining("broken.png");
    }
  }
}
