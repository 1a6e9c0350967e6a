package io.maskstream.trainer.model;

import static io.maskstream.trainer.model.DetectionFixtures.assertClose;
import static io.maskstream.trainer.model.DetectionFixtures.assertLoss;
import static io.maskstream.trainer.model.DetectionFixtures.longs;
import static io.maskstream.trainer.model.DetectionFixtures.sizes;
import static io.maskstream.trainer.model.DetectionFixtures.state;
import static io.maskstream.trainer.model.DetectionFixtures.tensor;
import static io.maskstream.trainer.model.DetectionFixtures.tensors;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.maskstream.trainer.engine.Torch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/**
 * The second stage (targets, box and mask losses, inference post-processing, mask pasting) against
 * torchvision's {@code RoIHeads} with the same weights and inputs.
 */
@SuppressWarnings("try") // each PointerScope releases the tensors a test creates
class RoiHeadsTest {
  static final JsonNode C = DetectionFixtures.get("roi_heads");

  static RoiHeads heads() {
    RoiHeads heads =
        new RoiHeads(
            new SplittableRandom(1),
            2,
            C.get("classes").asLong(),
            16,
            new long[] {8, 8},
            new RoiHeads.Options(16, 0.25, 0.05, 0.5, 12));
    heads.loadStateDict(state(C.get("state")), true);
    return heads;
  }

  static List<GroundTruth> targets() {
    List<GroundTruth> out = new ArrayList<>();
    List<Tensor> boxes = tensors(C.get("gt_boxes"));
    List<Tensor> masks = tensors(C.get("gt_masks"));
    for (int i = 0; i < boxes.size(); i++) {
      out.add(new GroundTruth(boxes.get(i), longs(C.get("gt_labels").get(i)), masks.get(i)));
    }
    return out;
  }

  /** torchvision's random sample, replayed image by image. */
  static Function<long[], BalancedSampler.Sample> replay() {
    return replay(C);
  }

  /** torchvision's random sample of a fixture ({@code sampled}), replayed image by image. */
  static Function<long[], BalancedSampler.Sample> replay(JsonNode fixture) {
    int[] image = {0};
    return labels -> {
      long[] chosen = longs(fixture.get("sampled").get(image[0]++));
      long[] positive = Arrays.stream(chosen).filter(k -> labels[(int) k] > 0).toArray();
      long[] negative = Arrays.stream(chosen).filter(k -> labels[(int) k] == 0).toArray();
      return new BalancedSampler.Sample(positive, negative);
    };
  }

  @Test
  void assignmentEqualsTorchvisions() {
    try (PointerScope scope = new PointerScope();
        RoiHeads heads = heads()) {
      List<Tensor> proposals = tensors(C.get("proposals"));
      List<GroundTruth> targets = targets();
      for (int i = 0; i < proposals.size(); i++) {
        Tensor rois = torch.cat(new TensorVector(proposals.get(i), targets.get(i).boxes()), 0);
        RoiHeads.Assignment a = heads.assign(rois, targets.get(i));
        assertThat(a.labels()).containsExactly(longs(C.get("labels").get(i)));
        assertThat(a.matched()).containsExactly(longs(C.get("matched").get(i)));
      }
    }
  }

  @Test
  void lossesEqualTorchvisions() {
    try (PointerScope scope = new PointerScope();
        RoiHeads heads = heads()) {
      Map<String, Tensor> losses =
          heads.losses(
              tensors(C.get("features")),
              tensors(C.get("proposals")),
              sizes(C.get("image_sizes")),
              targets(),
              replay(),
              StageTimes.off());
      assertThat(losses.keySet()).containsExactly("loss_classifier", "loss_box_reg", "loss_mask");
      for (Map.Entry<String, Tensor> e : losses.entrySet()) {
        assertLoss(e.getValue(), C.get("losses").get(e.getKey()), 1e-5);
        e.getValue().close();
      }
    }
  }

  @Test
  void boxLossOnFixedInputsEqualsTorchvisions() {
    JsonNode f = C.get("fastrcnn");
    try (PointerScope scope = new PointerScope()) {
      List<Long> labels = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        long[] all = longs(C.get("labels").get(i));
        for (long k : longs(C.get("sampled").get(i))) {
          labels.add(all[(int) k]);
        }
      }
      List<Tensor> targets = tensors(C.get("regression_targets"));
      Tensor logits = tensor(f.get("class_logits")).set_requires_grad(true);
      try (Losses.Pair loss =
          Losses.fastRcnn(
              logits,
              tensor(f.get("box_regression")),
              labels.stream().mapToLong(Long::longValue).toArray(),
              torch.cat(new TensorVector(targets.get(0), targets.get(1)), 0))) {
        assertLoss(loss.classification(), f.get("loss_classifier"), 1e-5);
        assertLoss(loss.boxRegression(), f.get("loss_box_reg"), 1e-5);
        loss.classification().backward();
        assertThat(logits.grad().defined()).isTrue();
      }
    }
  }

  @Test
  void detectionsAndPastedMasksEqualTorchvisions() {
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
        }
      }
      JsonNode first = C.get("detections").get(0);
      int[] size = sizes(C.get("image_sizes")).get(0);
      Tensor pasted =
          MaskPaster.paste(
              tensor(first.get("masks")), tensor(first.get("boxes")), size[0], size[1]);
      assertClose(pasted, C.get("pasted"), 1e-6);
    }
  }

  @Test
  void trainingAndInferenceReleaseWhatTheyAllocate() {
    try (RoiHeads heads = heads()) {
      long before = 0;
      for (int round = 0; round < 6; round++) {
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
          try (Tensor total = losses.get("loss_classifier").add(losses.get("loss_box_reg"))) {
            total.add(losses.get("loss_mask")).backward();
          }
          losses.values().forEach(Tensor::close);
          heads.train(false);
          heads.detect(features, proposals, sizes(C.get("image_sizes"))).forEach(Detections::close);
          heads.namedParameters().values().forEach(p -> p.mutable_grad().zero_());
        }
      }
      // native objects alive after a step: no more than after the first steps
      assertThat(Pointer.totalCount()).isLessThanOrEqualTo(before);
      assertThat(Torch.toFloats(heads.stateDict().get("box_head.fc6.weight"))).hasSize(16 * 98);
    }
  }
}
