package io.maskstream.trainer.model;

import static io.maskstream.trainer.model.DetectionFixtures.assertClose;
import static io.maskstream.trainer.model.DetectionFixtures.assertLoss;
import static io.maskstream.trainer.model.DetectionFixtures.longs;
import static io.maskstream.trainer.model.DetectionFixtures.sizes;
import static io.maskstream.trainer.model.DetectionFixtures.state;
import static io.maskstream.trainer.model.DetectionFixtures.tensors;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.maskstream.trainer.engine.Torch;
import io.maskstream.trainer.train.Preset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The keypoint branch in the second stage and in whole networks against torchvision: {@code
 * RoIHeads} with box, mask and keypoint branches (losses with torchvision's RoI sample replayed,
 * detections with keypoints), the tiny network with a keypoint head, and {@code
 * keypointrcnn_resnet50_fpn} (no mask branch), all on the same weights and inputs (keypoints.json,
 * make_keypoint_head_fixtures.py).
 */
@SuppressWarnings("try") // each PointerScope releases the tensors a test creates
class KeypointRcnnTest {
  static final JsonNode C = DetectionFixtures.keypoints("roi_heads");

  static RoiHeads heads() {
    RoiHeads heads =
        new RoiHeads(
            new SplittableRandom(1),
            2,
            C.get("classes").asLong(),
            16,
            new long[] {8, 8},
            new long[] {8, 8},
            C.get("keypoints").asInt(),
            new RoiHeads.Options(16, 0.25, 0.05, 0.5, 12));
    heads.loadStateDict(state(C.get("state")), true);
    return heads;
  }

  static List<GroundTruth> targets() {
    List<GroundTruth> out = new ArrayList<>();
    List<Tensor> boxes = tensors(C.get("gt_boxes"));
    List<Tensor> masks = tensors(C.get("gt_masks"));
    List<Tensor> keypoints = tensors(C.get("gt_keypoints"));
    for (int i = 0; i < boxes.size(); i++) {
      out.add(
          new GroundTruth(
              boxes.get(i),
              longs(C.get("gt_labels").get(i)),
              masks.get(i).to(org.bytedeco.pytorch.global.torch.ScalarType.Float),
              keypoints.get(i)));
    }
    return out;
  }

  @Test
  void lossesWithTheKeypointBranchEqualTorchvisions() {
    try (PointerScope scope = new PointerScope();
        RoiHeads heads = heads()) {
      assertThat(heads.keypoints()).isEqualTo(4);
      assertThat(heads.hasMasks()).isTrue();
      Map<String, Tensor> losses =
          heads.losses(
              tensors(C.get("features")),
              tensors(C.get("proposals")),
              sizes(C.get("image_sizes")),
              targets(),
              RoiHeadsTest.replay(C),
              StageTimes.off());
      assertThat(losses.keySet())
          .containsExactly("loss_classifier", "loss_box_reg", "loss_mask", "loss_keypoint");
      for (Map.Entry<String, Tensor> e : losses.entrySet()) {
        assertLoss(e.getValue(), C.get("losses").get(e.getKey()), 1e-5);
        e.getValue().close();
      }
    }
  }

  @Test
  void detectionsWithKeypointsEqualTorchvisions() {
    try (PointerScope scope = new PointerScope();
        RoiHeads heads = heads()) {
      heads.train(false);
      List<Detections> detections =
          heads.detect(
              tensors(C.get("features")), tensors(C.get("proposals")), sizes(C.get("image_sizes")));
      for (int i = 0; i < detections.size(); i++) {
        JsonNode want = C.get("detections").get(i);
        try (Detections d = detections.get(i)) {
          assertThat(d.labels()).containsExactly(longs(want.get("labels")));
          assertClose(d.boxes(), want.get("boxes"), 1e-5);
          assertClose(d.scores(), want.get("scores"), 1e-5);
          assertClose(d.masks(), want.get("masks"), 1e-5);
          assertClose(d.keypoints(), want.get("keypoints"), 1e-4);
          assertClose(d.keypointScores(), want.get("keypoints_scores"), 1e-4);
        }
      }
    }
  }

  @Test
  void trainingAndInferenceWithKeypointsReleaseWhatTheyAllocate() {
    try (RoiHeads heads = heads()) {
      long before = 0;
      for (int round = 0; round < 5; round++) {
        if (round == 2) {
          before = Pointer.totalCount();
        }
        try (PointerScope scope = new PointerScope()) {
          List<Tensor> features = tensors(C.get("features"));
          List<Tensor> proposals = tensors(C.get("proposals"));
          heads.train(true);
          Map<String, Tensor> losses =
              heads.losses(
                  features,
                  proposals,
                  sizes(C.get("image_sizes")),
                  targets(),
                  new SplittableRandom(round));
          Tensor total = null;
          for (Tensor loss : losses.values()) {
            total = total == null ? loss.add(loss.mul(Torch.scalar(0))) : total.add(loss);
          }
          total.backward();
          assertThat(
                  heads
                      .namedParameters()
                      .get("keypoint_predictor.kps_score_lowres.weight")
                      .grad()
                      .defined())
              .isTrue();
          losses.values().forEach(Tensor::close);
          heads.train(false);
          heads.detect(features, proposals, sizes(C.get("image_sizes"))).forEach(Detections::close);
          heads.namedParameters().values().forEach(p -> p.mutable_grad().zero_());
        }
      }
      assertThat(Pointer.totalCount()).isLessThanOrEqualTo(before);
    }
  }

  @Test
  void tinyWithAKeypointHeadDetectsWhatTorchvisionDetects() {
    JsonNode c = DetectionFixtures.keypoints("tiny");
    MaskRcnn model =
        new MaskRcnn(
            new SplittableRandom(1),
            Backbone.tiny(new SplittableRandom(2)),
            4,
            256,
            new long[] {64, 64},
            new long[] {64, 64, 64, 64},
            4,
            new RoiHeads.Options(128, 0.25, 0.05, 0.5, 5),
            new InputTransform(c.get("min_size").asInt(), c.get("max_size").asInt()));
    MaskRcnnTest.check(c, model);
  }

  @Test
  void r50FpnWithKeypointsAndNoMasksIsTorchvisionsKeypointrcnnResnet50Fpn() {
    JsonNode c = DetectionFixtures.keypoints("r50_fpn");
    List<String> keys = new ArrayList<>();
    c.get("keys").forEach(k -> keys.add(k.asText()));
    try (MaskRcnn preset =
        Preset.R50_FPN.create(
            new SplittableRandom(1),
            2,
            Preset.R50_FPN.transform(),
            new MaskRcnn.Branches(false, 17))) {
      assertThat(preset.stateDict().keySet()).containsExactlyElementsOf(keys);
      assertThat(preset.trainableParameters().keySet())
          .containsExactlyInAnyOrderElementsOf(BackboneTest.trainable(c));
    }
    long[] widths = new long[8];
    Arrays.fill(widths, 512);
    MaskRcnnTest.check(
        c,
        new MaskRcnn(
            new SplittableRandom(1),
            Backbone.resnet50Fpn(new SplittableRandom(2)),
            2,
            1024,
            new long[0],
            widths,
            17,
            new RoiHeads.Options(512, 0.25, 0.05, 0.5, 10),
            new InputTransform(64, 64)));
  }

  @Test
  void thePresetsTakeAKeypointHead() {
    try (MaskRcnn tiny =
        Preset.TINY.create(
            new SplittableRandom(3), 5, Preset.TINY.transform(), new MaskRcnn.Branches(true, 4))) {
      assertThat(tiny.branches()).isEqualTo(new MaskRcnn.Branches(true, 4));
      assertThat(tiny.stateDict().keySet())
          .contains(
              "roi_heads.mask_head.0.0.weight",
              "roi_heads.keypoint_head.6.weight",
              "roi_heads.keypoint_predictor.kps_score_lowres.weight");
    }
  }
}
