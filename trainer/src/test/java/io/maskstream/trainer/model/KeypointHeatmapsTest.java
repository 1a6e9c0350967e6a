package io.maskstream.trainer.model;

import static io.maskstream.trainer.model.DetectionFixtures.assertClose;
import static io.maskstream.trainer.model.DetectionFixtures.keypoints;
import static io.maskstream.trainer.model.DetectionFixtures.longs;
import static io.maskstream.trainer.model.DetectionFixtures.longsOf;
import static io.maskstream.trainer.model.DetectionFixtures.tensor;
import static io.maskstream.trainer.model.DetectionFixtures.tensors;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.maskstream.trainer.engine.Torch;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/** The keypoint head's targets, loss and decoding against torchvision's (keypoints.json). */
class KeypointHeatmapsTest {
  @Test
  void targetsAreTorchvisionsCellsIncludingKeypointsOnTheFarEdges() {
    JsonNode c = keypoints("heatmap_targets");
    try (PointerScope scope = new PointerScope()) {
      KeypointHeatmaps.Targets t =
          KeypointHeatmaps.targets(tensor(c.get("keypoints")), tensor(c.get("rois")), 56);
      long[] cells = longsOf(c.get("heatmaps"));
      long[] valid = longsOf(c.get("valid"));
      assertThat(t.cells()).containsExactly(cells);
      boolean[] want = new boolean[valid.length];
      int n = 0;
      for (int i = 0; i < valid.length; i++) {
        want[i] = valid[i] == 1;
        n += valid[i] == 1 ? 1 : 0;
      }
      assertThat(t.valid()).containsExactly(want);
      // the cases the fixture built: some keypoints out of their RoI, some unlabelled
      assertThat(n).isBetween(1, valid.length - 1);
    }
  }

  @Test
  void lossAndItsGradientEqualTorchvisions() {
    JsonNode c = keypoints("loss");
    try (PointerScope scope = new PointerScope()) {
      Tensor logits = tensor(c.get("logits")).set_requires_grad(true);
      List<long[]> matched = new ArrayList<>();
      c.get("matched").forEach(m -> matched.add(longs(m)));
      Tensor loss =
          KeypointHeatmaps.loss(
              logits, tensors(c.get("proposals")), tensors(c.get("keypoints")), matched);
      assertClose(Torch.toFloats(loss), DetectionFixtures.floats(c.get("loss")), 1e-6);
      loss.backward();
      assertClose(logits.grad(), c.get("grad"), 1e-7);
      loss.close();
    }
  }

  @Test
  void theHeadAndPredictorEqualTorchvisionsKeypointRcnnHeadsAndPredictor() {
    JsonNode c = keypoints("head");
    try (PointerScope scope = new PointerScope();
        KeypointHead head = new KeypointHead(new java.util.SplittableRandom(1), 8, 16, 16)) {
      head.loadStateDict(DetectionFixtures.state(c.get("heads")), true);
      assertThat(head.stateDict().keySet())
          .containsExactly("0.weight", "0.bias", "2.weight", "2.bias");
      assertClose(head.forward(tensor(c.get("input"))), c.get("features"), 1e-5);
    }
    try (PointerScope scope = new PointerScope();
        KeypointPredictor predictor =
            new KeypointPredictor(new java.util.SplittableRandom(1), 16, 4)) {
      predictor.loadStateDict(DetectionFixtures.state(c.get("predictor")), true);
      assertClose(predictor.forward(tensor(c.get("features"))), c.get("logits"), 1e-5);
    }
  }

  @Test
  void decodedKeypointsAndScoresEqualTorchvisions() {
    JsonNode c = keypoints("decode");
    try (PointerScope scope = new PointerScope();
        KeypointHeatmaps.Decoded d =
            KeypointHeatmaps.decode(tensor(c.get("maps")), tensor(c.get("rois")))) {
      assertClose(d.keypoints(), c.get("keypoints"), 1e-6);
      assertClose(d.scores(), c.get("scores"), 1e-6);
    }
  }
}
