package io.maskstream.trainer.model;

import static io.maskstream.trainer.model.DetectionFixtures.assertClose;
import static io.maskstream.trainer.model.DetectionFixtures.longs;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.trainer.engine.Torch;
import io.maskstream.trainer.train.Preset;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole tiny, ResNet-18 and ResNet-50 FPN Mask R-CNNs against torchvision's {@code MaskRCNN}
 * (for ResNet-50 its {@code maskrcnn_resnet50_fpn}) built with the same layout and weights (the
 * synthetic rule of {@link BackboneTest}): same state-dict keys, same detections and pasted masks,
 * also for an image the input transform resizes and whose detections it rescales.
 */
@SuppressWarnings("try") // each PointerScope releases the tensors a test creates
class MaskRcnnTest {
  static JsonNode fixtures;

  @BeforeAll
  static void load() throws IOException {
    try (InputStream in = MaskRcnnTest.class.getResourceAsStream("/torchvision/models.json")) {
      fixtures = new ObjectMapper().readTree(in);
    }
    Torch.load();
  }

  @Test
  void tinyDetectsWhatTorchvisionDetects() {
    check(
        fixtures.get("tiny"),
        new MaskRcnn(
            new SplittableRandom(1),
            Backbone.tiny(new SplittableRandom(2)),
            4,
            256,
            new long[] {64, 64},
            new RoiHeads.Options(128, 0.25, 0.05, 0.5, 10),
            new InputTransform(64, 64)));
  }

  @Test
  void tinyDetectsWhatTorchvisionDetectsOnAnImageAtItsOwnSize() {
    JsonNode c = fixtures.get("tiny_resized");
    check(
        c,
        new MaskRcnn(
            new SplittableRandom(1),
            Backbone.tiny(new SplittableRandom(2)),
            4,
            256,
            new long[] {64, 64},
            new RoiHeads.Options(128, 0.25, 0.05, 0.5, 5),
            new InputTransform(c.get("min_size").asInt(), c.get("max_size").asInt())));
  }

  @Test
  void resnet18FpnDetectsWhatTorchvisionDetects() {
    check(
        fixtures.get("r18_fpn"),
        new MaskRcnn(
            new SplittableRandom(1),
            Backbone.resnet18Fpn(new SplittableRandom(2)),
            4,
            1024,
            new long[] {256, 256, 256, 256},
            new RoiHeads.Options(512, 0.25, 0.05, 0.5, 10),
            new InputTransform(64, 64)));
  }

  @Test
  void resnet50FpnDetectsWhatTorchvisionsMaskrcnnResnet50FpnDetects() {
    JsonNode c = fixtures.get("r50_fpn");
    MaskRcnn model =
        new MaskRcnn(
            new SplittableRandom(1),
            Backbone.resnet50Fpn(new SplittableRandom(2)),
            4,
            1024,
            new long[] {256, 256, 256, 256},
            new RoiHeads.Options(512, 0.25, 0.05, 0.5, 10),
            new InputTransform(64, 64));
    assertThat(model.trainableParameters().keySet())
        .containsExactlyInAnyOrderElementsOf(BackboneTest.trainable(c));
    check(c, model);
  }

  @Test
  void theR50FpnPresetIsTorchvisionsNetworkForCocoAtItsSize() {
    try (MaskRcnn r50 = Preset.parse("r50-fpn").create(new SplittableRandom(3), 91)) {
      // maskrcnn_resnet50_fpn's parameter count for COCO's 91 classes
      long parameters = 0;
      for (Tensor p : r50.namedParameters().values()) {
        parameters += p.numel();
      }
      assertThat(parameters).isEqualTo(44_401_393L);
      assertThat(r50.transform().minSize()).isEqualTo(800);
      assertThat(r50.transform().maxSize()).isEqualTo(1333);
      assertThat(r50.detectionOptions()).isEqualTo(RoiHeads.Options.torchvision(512));
    }
  }

  @Test
  void detectionOfImagesAtTheirOwnSizesReturnsResultsAtThoseSizesAndReleasesItsTensors() {
    try (MaskRcnn tiny = MaskRcnn.tiny(new SplittableRandom(8), 3);
        MaskRcnn r18 = MaskRcnn.resnet18Fpn(new SplittableRandom(8), 3)) {
      assertThat(tiny.transform().minSize()).isEqualTo(256);
      assertThat(tiny.transform().maxSize()).isEqualTo(512);
      assertThat(r18.transform().minSize()).isEqualTo(800);
      assertThat(r18.transform().maxSize()).isEqualTo(1333);
    }
    // the tiny layout at a small input size, to keep the test fast
    try (MaskRcnn model =
        new MaskRcnn(
            new SplittableRandom(8),
            Backbone.tiny(new SplittableRandom(9)),
            3,
            256,
            new long[] {64, 64},
            new RoiHeads.Options(128, 0.25, 0.05, 0.5, 10),
            new InputTransform(48, 80))) {
      model.train(false);
      long before = 0;
      for (int round = 0; round < 3; round++) {
        if (round == 1) {
          before = org.bytedeco.javacpp.Pointer.totalCount();
        }
        try (PointerScope scope = new PointerScope()) {
          SplittableRandom random = new SplittableRandom(round);
          float[] a = new float[3 * 40 * 70];
          float[] b = new float[3 * 90 * 50];
          for (int i = 0; i < b.length; i++) {
            b[i] = (float) random.nextDouble();
            if (i < a.length) {
              a[i] = (float) random.nextDouble();
            }
          }
          List<Detections> found =
              model.detect(List.of(Torch.floats(a, 3, 40, 70), Torch.floats(b, 3, 90, 50)));
          assertThat(found).hasSize(2);
          long[][] sizes = {{40, 70}, {90, 50}};
          for (int i = 0; i < 2; i++) {
            try (Detections d = found.get(i)) {
              long k = d.boxes().size(0);
              assertThat(d.masks().shape()).containsExactly(k, 1, sizes[i][0], sizes[i][1]);
              float[] boxes = Torch.toFloats(d.boxes());
              for (int j = 0; j < boxes.length; j += 4) {
                assertThat(boxes[j + 2]).isLessThanOrEqualTo(sizes[i][1]);
                assertThat(boxes[j + 3]).isLessThanOrEqualTo(sizes[i][0]);
              }
            }
          }
        }
      }
      assertThat(org.bytedeco.javacpp.Pointer.totalCount()).isLessThanOrEqualTo(before);
    }
  }

  @Test
  void trainingGivesFiveFiniteLossesWithGradientsAndReleasesItsTensors() {
    StageTimes stages = StageTimes.recording();
    try (MaskRcnn model = MaskRcnn.tiny(new SplittableRandom(5), 3)) {
      long before = 0;
      for (int round = 0; round < 4; round++) {
        if (round == 2) {
          before = org.bytedeco.javacpp.Pointer.totalCount();
        }
        try (PointerScope scope = new PointerScope()) {
          float[] pixels = new float[3 * 64 * 96];
          SplittableRandom random = new SplittableRandom(round);
          for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) random.nextDouble();
          }
          Tensor batch =
              MaskRcnn.normalize(MaskRcnn.batch(List.of(Torch.floats(pixels, 3, 64, 96))));
          assertThat(batch.shape()).containsExactly(1, 3, 64, 96);
          float[] mask = new float[64 * 96];
          for (int y = 10; y < 40; y++) {
            for (int x = 20; x < 60; x++) {
              mask[y * 96 + x] = 1;
            }
          }
          GroundTruth gt =
              new GroundTruth(
                  Torch.floats(new float[] {20, 10, 60, 40}, 1, 4),
                  new long[] {2},
                  Torch.floats(mask, 1, 64, 96));
          stages.start();
          Map<String, Tensor> losses =
              model.losses(batch, List.of(new int[] {64, 90}), List.of(gt), random, stages);
          assertThat(losses.keySet())
              .containsExactly(
                  "loss_objectness",
                  "loss_rpn_box_reg",
                  "loss_classifier",
                  "loss_box_reg",
                  "loss_mask");
          Tensor total = null;
          for (Tensor loss : losses.values()) {
            assertThat(Double.isFinite(Torch.toFloats(loss)[0])).isTrue();
            total = total == null ? loss.add(loss.mul(Torch.scalar(0))) : total.add(loss);
          }
          total.backward();
          assertThat(model.namedParameters().get("backbone.body.conv1.weight").grad().defined())
              .isTrue();
          losses.values().forEach(Tensor::close);
          model.namedParameters().values().forEach(p -> p.mutable_grad().zero_());
        }
      }
      assertThat(org.bytedeco.javacpp.Pointer.totalCount()).isLessThanOrEqualTo(before);
    }
    // the stages of the speed benchmark's profile, each timed
    Map<String, Double> perRound = stages.secondsPer(4);
    assertThat(perRound.keySet())
        .containsExactly(
            "backbone",
            "rpn",
            "roi targets",
            "box roialign",
            "box head",
            "box loss",
            "mask roialign",
            "mask head",
            "mask loss");
    assertThat(perRound.values()).allSatisfy(seconds -> assertThat(seconds).isPositive());
  }

  static void check(JsonNode c, MaskRcnn net) {
    try (PointerScope scope = new PointerScope();
        MaskRcnn model = net) {
      List<String> keys = new ArrayList<>();
      c.get("keys").forEach(k -> keys.add(k.asText()));
      assertThat(model.stateDict().keySet()).containsExactlyElementsOf(keys);
      SyntheticWeights.load(model).train(false);
      Tensor image = DetectionFixtures.tensor(c.get("image"));
      List<Detections> detections = model.detect(List.of(image));
      assertThat(detections).hasSize(1);
      try (Detections d = detections.get(0)) {
        // detections whose scores differ by a few ulps may come in either order: pair them by box
        float[] wantBoxes = DetectionFixtures.floats(c.get("boxes"));
        float[] wantScores = DetectionFixtures.floats(c.get("scores"));
        boolean hasMasks = c.has("masks");
        boolean hasKeypoints = c.has("keypoints");
        assertThat(d.masks() != null).isEqualTo(hasMasks);
        assertThat(d.keypoints() != null).isEqualTo(hasKeypoints);
        float[] wantMasks = hasMasks ? DetectionFixtures.floats(c.get("masks")) : new float[0];
        float[] wantKeypoints =
            hasKeypoints ? DetectionFixtures.floats(c.get("keypoints")) : new float[0];
        float[] wantKeypointScores =
            hasKeypoints ? DetectionFixtures.floats(c.get("keypoints_scores")) : new float[0];
        long[] wantLabels = longs(c.get("labels"));
        float[] boxes = Torch.toFloats(d.boxes());
        float[] scores = Torch.toFloats(d.scores());
        float[] masks = hasMasks ? Torch.toFloats(d.masks()) : new float[0];
        float[] keypoints = hasKeypoints ? Torch.toFloats(d.keypoints()) : new float[0];
        float[] keypointScores = hasKeypoints ? Torch.toFloats(d.keypointScores()) : new float[0];
        int n = wantScores.length;
        assertThat(scores).hasSize(n);
        int pixels = wantMasks.length / Math.max(n, 1);
        int points = wantKeypointScores.length / Math.max(n, 1);
        boolean[] used = new boolean[n];
        for (int i = 0; i < n; i++) {
          int best = -1;
          double bestDistance = Double.MAX_VALUE;
          for (int j = 0; j < n; j++) {
            double distance = 0;
            for (int k = 0; k < 4; k++) {
              distance = Math.max(distance, Math.abs(boxes[j * 4 + k] - wantBoxes[i * 4 + k]));
            }
            if (!used[j] && distance < bestDistance) {
              best = j;
              bestDistance = distance;
            }
          }
          assertThat(bestDistance).as("detection %d's box", i).isLessThan(1e-3);
          used[best] = true;
          assertThat(d.labels()[best]).isEqualTo(wantLabels[i]);
          assertThat((double) Math.abs(scores[best] - wantScores[i])).isLessThan(1e-5);
          assertClose(
              java.util.Arrays.copyOfRange(masks, best * pixels, (best + 1) * pixels),
              java.util.Arrays.copyOfRange(wantMasks, i * pixels, (i + 1) * pixels),
              1e-4);
          assertClose(
              java.util.Arrays.copyOfRange(keypoints, best * points * 3, (best + 1) * points * 3),
              java.util.Arrays.copyOfRange(wantKeypoints, i * points * 3, (i + 1) * points * 3),
              1e-3);
          assertClose(
              java.util.Arrays.copyOfRange(keypointScores, best * points, (best + 1) * points),
              java.util.Arrays.copyOfRange(wantKeypointScores, i * points, (i + 1) * points),
              1e-4);
        }
        if (hasMasks) {
          assertThat(d.masks().shape()).containsExactly(DetectionFixtures.shape(c.get("masks")));
        }
        if (hasKeypoints) {
          assertThat(d.keypoints().shape())
              .containsExactly(DetectionFixtures.shape(c.get("keypoints")));
        }
      }
    }
  }
}
