package io.maskstream.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
 * Anchors, box coder, box IoU and matcher against torchvision's outputs on the same inputs
 * (src/test/python/make_torchvision_fixtures.py).
 */
@SuppressWarnings("try") // each PointerScope releases the tensors a test creates
class TorchvisionComponentsTest {
  static JsonNode fixtures;

  @BeforeAll
  static void load() throws IOException {
    try (InputStream in =
        TorchvisionComponentsTest.class.getResourceAsStream("/torchvision/components.json")) {
      fixtures = new ObjectMapper().readTree(in);
    }
    Torch.load();
  }

  static float[] floats(JsonNode n) {
    float[] out = new float[n.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) n.get(i).asDouble();
    }
    return out;
  }

  static void assertClose(float[] actual, float[] expected, double tolerance) {
    assertThat(actual).hasSameSizeAs(expected);
    for (int i = 0; i < actual.length; i++) {
      double scale = Math.max(1, Math.abs(expected[i]));
      assertThat((double) Math.abs(actual[i] - expected[i]))
          .as("element %d: %s vs torchvision %s", i, actual[i], expected[i])
          .isLessThanOrEqualTo(tolerance * scale);
    }
  }

  @Test
  void anchorsEqualTorchvisions() {
    for (JsonNode c : fixtures.get("anchors")) {
      List<int[]> grids = new ArrayList<>();
      c.get("grids").forEach(g -> grids.add(new int[] {g.get(0).asInt(), g.get(1).asInt()}));
      try (Tensor anchors =
          AnchorGenerator.fpnDefault()
              .anchors(c.get("image").get(0).asInt(), c.get("image").get(1).asInt(), grids)) {
        assertThat(Torch.toFloats(anchors)).containsExactly(floats(c.get("anchors")));
      }
    }
  }

  @Test
  void boxCoderEqualsTorchvisions() {
    for (JsonNode c : fixtures.get("box_coder")) {
      JsonNode w = c.get("weights");
      BoxCoder coder =
          new BoxCoder(
              w.get(0).asDouble(), w.get(1).asDouble(), w.get(2).asDouble(), w.get(3).asDouble());
      assertThat(c.get("clip").asDouble()).isEqualTo(BoxCoder.DEFAULT_CLIP);
      try (PointerScope scope = new PointerScope()) {
        Tensor proposals = Torch.floats(floats(c.get("proposals")), 40, 4);
        Tensor targets = Torch.floats(floats(c.get("targets")), 40, 4);
        Tensor codes = Torch.floats(floats(c.get("codes")), 40, 8);
        assertClose(
            Torch.toFloats(coder.encode(targets, proposals)), floats(c.get("encoded")), 1e-5);
        assertClose(Torch.toFloats(coder.decode(codes, proposals)), floats(c.get("decoded")), 1e-5);
        // decoding the encoded deltas gives the targets back
        assertClose(
            Torch.toFloats(coder.decode(coder.encode(targets, proposals), proposals)),
            floats(c.get("targets")),
            1e-4);
      }
    }
  }

  @Test
  void iouAndMatcherEqualTorchvisions() {
    for (JsonNode c : fixtures.get("matcher")) {
      Matcher matcher =
          new Matcher(
              c.get("high").asDouble(), c.get("low").asDouble(), c.get("low_quality").asBoolean());
      try (PointerScope scope = new PointerScope()) {
        Tensor gt = Torch.floats(floats(c.get("gt")), 6, 4);
        Tensor anchors = Torch.floats(floats(c.get("anchors")), 60, 4);
        Tensor iou = BoxOps.iou(gt, anchors);
        assertClose(Torch.toFloats(iou), floats(c.get("iou")), 1e-6);
        // match on torchvision's own IoU values so that ties are the same
        Tensor reference = Torch.floats(floats(c.get("iou")), 6, 60);
        long[] want = new long[60];
        for (int i = 0; i < 60; i++) {
          want[i] = c.get("matches").get(i).asLong();
        }
        assertThat(Torch.toLongs(matcher.match(reference))).containsExactly(want);
        assertThat(Torch.toLongs(matcher.match(iou))).containsExactly(want);
      }
    }
  }

  @Test
  void nmsAndBatchedNmsEqualTorchvisions() {
    for (JsonNode c : fixtures.get("nms")) {
      int n = c.get("scores").size();
      long[] idxs = new long[n];
      for (int i = 0; i < n; i++) {
        idxs[i] = c.get("idxs").get(i).asLong();
      }
      double threshold = c.get("threshold").asDouble();
      try (PointerScope scope = new PointerScope()) {
        Tensor boxes = Torch.floats(floats(c.get("boxes")), n, 4);
        Tensor scores = Torch.floats(floats(c.get("scores")), n);
        assertThat(Torch.toLongs(Nms.nms(boxes, scores, threshold)))
            .containsExactly(longs(c.get("keep")));
        assertThat(Torch.toLongs(Nms.batchedNms(boxes, scores, Torch.longs(idxs, n), threshold)))
            .containsExactly(longs(c.get("batched_keep")));
      }
    }
  }

  @Test
  void roiAlignForwardAndBackwardEqualTorchvisions() {
    for (JsonNode c : fixtures.get("roi_align")) {
      long[] shape = new long[4];
      for (int i = 0; i < 4; i++) {
        shape[i] = c.get("features_shape").get(i).asLong();
      }
      int size = c.get("output_size").asInt();
      RoiAlign roiAlign = new RoiAlign(size, c.get("scale").asDouble(), 2);
      try (PointerScope scope = new PointerScope()) {
        Tensor features = Torch.floats(floats(c.get("features")), shape).set_requires_grad(true);
        int k = c.get("rois").size() / 5;
        Tensor rois = Torch.floats(floats(c.get("rois")), k, 5);
        Tensor out = roiAlign.apply(features, rois);
        assertThat(out.shape()).containsExactly(k, shape[1], size, size);
        assertClose(Torch.toFloats(out), floats(c.get("output")), 1e-5);
        Tensor weights = Torch.floats(floats(c.get("weights")), out.shape());
        out.mul(weights).sum().backward();
        assertClose(Torch.toFloats(features.grad()), floats(c.get("features_grad")), 1e-5);
      }
    }
  }

  static long[] longs(JsonNode n) {
    long[] out = new long[n.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = n.get(i).asLong();
    }
    return out;
  }

  @Test
  void lowQualityMatchesKeepEveryGroundTruthsBestAnchor() {
    try (PointerScope scope = new PointerScope()) {
      // gt 0's best IoU (0.4) is below 0.7; anchors 1 and 2 tie for it
      Tensor iou = Torch.floats(new float[] {0.1f, 0.4f, 0.4f, 0.2f, 0.2f, 0.1f, 0.0f, 0.9f}, 2, 4);
      assertThat(Torch.toLongs(new Matcher(0.7, 0.3, true).match(iou)))
          .containsExactly(-1, 0, 0, 1);
      assertThat(Torch.toLongs(new Matcher(0.7, 0.3, false).match(iou)))
          .containsExactly(-1, -2, -2, 1);
      assertThatThrownBy(() -> new Matcher(0.7, 0.3, true).match(Torch.floats(new float[0], 0, 4)))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void resultsOutliveTheirScope() {
    Tensor kept;
    try (PointerScope scope = new PointerScope()) {
      kept = BoxOps.area(Torch.floats(new float[] {0, 0, 2, 3, 1, 1, 2, 2}, 2, 4));
    }
    assertThat(Torch.toFloats(kept)).containsExactly(6f, 1f);
    kept.close();
  }
}
