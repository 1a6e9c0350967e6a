package io.maskstream.trainer.model;

import static io.maskstream.trainer.model.DetectionFixtures.assertClose;
import static io.maskstream.trainer.model.DetectionFixtures.assertLoss;
import static io.maskstream.trainer.model.DetectionFixtures.floats;
import static io.maskstream.trainer.model.DetectionFixtures.longs;
import static io.maskstream.trainer.model.DetectionFixtures.sizes;
import static io.maskstream.trainer.model.DetectionFixtures.state;
import static io.maskstream.trainer.model.DetectionFixtures.tensors;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.maskstream.trainer.engine.Torch;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/** The RPN's head, proposals, targets and losses against torchvision's on the same inputs. */
@SuppressWarnings("try") // each PointerScope releases the tensors a test creates
class RpnTest {
  static final JsonNode C = DetectionFixtures.get("rpn");

  static Tensor anchors(List<Tensor> features) {
    List<int[]> grids = new ArrayList<>();
    features.forEach(f -> grids.add(new int[] {(int) f.size(2), (int) f.size(3)}));
    return AnchorGenerator.fpnDefault().anchors(64, 64, grids);
  }

  @Test
  void headAndProposalsEqualTorchvisions() {
    try (PointerScope scope = new PointerScope();
        RpnHead head = new RpnHead(new SplittableRandom(1), 4, 3)) {
      head.loadStateDict(state(C.get("state")), true);
      List<Tensor> features = tensors(C.get("features"));
      RpnHead.Output out = head.forward(features);
      for (int l = 0; l < features.size(); l++) {
        assertClose(out.objectness().get(l), C.get("objectness").get(l), 1e-5);
        assertClose(out.deltas().get(l), C.get("deltas").get(l), 1e-5);
      }
      Tensor anchors = anchors(features);
      Tensor objectness = ProposalFilter.flatten(out.objectness(), 1);
      Tensor deltas = ProposalFilter.flatten(out.deltas(), 4);
      Tensor decoded =
          new BoxCoder(1, 1, 1, 1).decode(deltas, torch.cat(new TensorVector(anchors, anchors), 0));
      long[] perLevel = longs(C.get("anchors_per_level"));
      List<Proposals> proposals =
          new ProposalFilter(
                  C.get("pre_nms_top_n").asInt(), C.get("post_nms_top_n").asInt(), 0.7, 0.0, 1e-3)
              .filter(decoded, objectness, sizes(C.get("image_sizes")), perLevel);
      assertThat(proposals).hasSize(2);
      for (int i = 0; i < 2; i++) {
        assertClose(proposals.get(i).boxes(), C.get("proposals").get(i), 1e-5);
        assertClose(proposals.get(i).scores(), C.get("scores").get(i), 1e-6);
      }
    }
  }

  @Test
  void targetsAndLossesEqualTorchvisions() {
    try (PointerScope scope = new PointerScope()) {
      Tensor anchors = anchors(tensors(C.get("features")));
      List<Tensor> gt = tensors(C.get("gt_boxes"));
      AnchorTargets targets = new AnchorTargets();
      List<long[]> labels = new ArrayList<>();
      List<Tensor> regression = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        AnchorTargets.Assignment a = targets.assign(anchors, gt.get(i));
        float[] want = floats(C.get("labels").get(i));
        long[] wantLabels = new long[want.length];
        for (int j = 0; j < want.length; j++) {
          wantLabels[j] = (long) want[j];
        }
        assertThat(a.labels()).containsExactly(wantLabels);
        labels.add(a.labels());
        regression.add(a.regression());
      }
      // an image without ground truth has only background: its targets are never read
      assertClose(regression.get(0), C.get("regression_targets").get(0), 1e-5);
      long[] all = new long[labels.get(0).length * 2];
      System.arraycopy(labels.get(0), 0, all, 0, labels.get(0).length);
      System.arraycopy(labels.get(1), 0, all, labels.get(0).length, labels.get(1).length);
      List<Tensor> objectness = tensors(C.get("objectness"));
      List<Tensor> deltas = tensors(C.get("deltas"));
      Losses.Pair loss =
          Losses.rpn(
              ProposalFilter.flatten(objectness, 1),
              ProposalFilter.flatten(deltas, 4),
              all,
              torch.cat(new TensorVector(regression.get(0), regression.get(1)), 0),
              longs(C.get("sampled_positive")),
              longs(C.get("sampled_negative")));
      assertLoss(loss.classification(), C.get("loss_objectness"), 1e-5);
      assertLoss(loss.boxRegression(), C.get("loss_rpn_box_reg"), 1e-5);
    }
  }

  @Test
  void proposalsTargetsAndLossesReleaseWhatTheyAllocate() {
    try (RpnHead head = new RpnHead(new SplittableRandom(1), 4, 3)) {
      long before = 0;
      for (int round = 0; round < 5; round++) {
        if (round == 2) {
          before = org.bytedeco.javacpp.Pointer.totalCount();
        }
        try (PointerScope scope = new PointerScope()) {
          List<Tensor> features = tensors(C.get("features"));
          Tensor anchors = anchors(features);
          try (RpnHead.Output out = head.forward(features)) {
            Tensor objectness = ProposalFilter.flatten(out.objectness(), 1);
            Tensor deltas = ProposalFilter.flatten(out.deltas(), 4);
            Tensor both = torch.cat(new TensorVector(anchors, anchors), 0);
            try (Tensor decoded = new BoxCoder(1, 1, 1, 1).decode(deltas, both)) {
              new ProposalFilter(100, 80, 0.7, 0.0, 1e-3)
                  .filter(
                      decoded,
                      objectness,
                      sizes(C.get("image_sizes")),
                      longs(C.get("anchors_per_level")))
                  .forEach(Proposals::close);
            }
            BalancedSampler.Sample sample;
            try (AnchorTargets.Assignment a =
                new AnchorTargets().assign(anchors, tensors(C.get("gt_boxes")).get(0))) {
              long[] labels = a.labels();
              sample = new BalancedSampler(256, 0.5).sample(labels, new SplittableRandom(round));
              Tensor targets = torch.cat(new TensorVector(a.regression(), a.regression()), 0);
              long[] twice = new long[labels.length * 2];
              System.arraycopy(labels, 0, twice, 0, labels.length);
              try (Losses.Pair loss =
                  Losses.rpn(
                      objectness, deltas, twice, targets, sample.positive(), sample.negative())) {
                loss.classification().add(loss.boxRegression()).backward();
              }
            }
            objectness.close();
            deltas.close();
          }
        }
      }
      assertThat(org.bytedeco.javacpp.Pointer.totalCount()).isLessThanOrEqualTo(before);
    }
  }

  @Test
  void samplerKeepsTheBalanceAndDependsOnlyOnTheSeed() {
    long[] labels = new long[1000];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = i % 10 == 0 ? 1 : i % 10 == 1 ? -1 : 0;
    }
    BalancedSampler sampler = new BalancedSampler(256, 0.5);
    BalancedSampler.Sample a = sampler.sample(labels, new SplittableRandom(7));
    assertThat(a.positive()).hasSize(100).isSorted();
    assertThat(java.util.Arrays.stream(a.positive())).allMatch(i -> labels[i.intValue()] == 1);
    assertThat(a.negative()).hasSize(156).isSorted();
    assertThat(java.util.Arrays.stream(a.negative())).allMatch(i -> labels[i.intValue()] == 0);
    assertThat(a.negative()).doesNotHaveDuplicates();
    BalancedSampler.Sample b = sampler.sample(labels, new SplittableRandom(7));
    assertThat(b.negative()).containsExactly(a.negative());
    assertThat(sampler.sample(labels, new SplittableRandom(8)).negative())
        .isNotEqualTo(a.negative());
    // many positives: capped at the fraction, the rest negatives
    long[] crowded = new long[600];
    for (int i = 0; i < 600; i++) {
      crowded[i] = i < 300 ? 2 : 0;
    }
    BalancedSampler.Sample c =
        new BalancedSampler(512, 0.25).sample(crowded, new SplittableRandom(1));
    assertThat(c.positive()).hasSize(128);
    assertThat(c.negative()).hasSize(300);
    assertThat(c.all()).hasSize(428).isSorted();
  }

  @Test
  void imagesWithoutGroundTruthAreAllBackground() {
    try (PointerScope scope = new PointerScope()) {
      Tensor anchors = Torch.floats(new float[] {0, 0, 10, 10, 5, 5, 20, 20}, 2, 4);
      AnchorTargets.Assignment a =
          new AnchorTargets().assign(anchors, Torch.floats(new float[0], 0, 4));
      assertThat(a.labels()).containsExactly(0, 0);
      assertThat(a.regression().shape()).containsExactly(2, 4);
    }
  }
}
