package io.maskstream.trainer.model;

import static io.maskstream.trainer.model.DetectionFixtures.assertClose;
import static io.maskstream.trainer.model.DetectionFixtures.longs;
import static io.maskstream.trainer.model.DetectionFixtures.sizes;
import static io.maskstream.trainer.model.DetectionFixtures.tensor;
import static io.maskstream.trainer.model.DetectionFixtures.tensors;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/** Pyramid level mapping, multi-scale RoIAlign and mask targets against torchvision's outputs. */
@SuppressWarnings("try") // each PointerScope releases the tensors a test creates
class PoolingTest {
  @Test
  void levelsFollowTheFpnEquationAsTorchvisionComputesIt() {
    JsonNode c = DetectionFixtures.get("level_mapper");
    try (PointerScope scope = new PointerScope()) {
      assertThat(MultiScaleRoiAlign.levels(tensor(c.get("boxes")), 2, 5))
          .containsExactly(longs(c.get("levels")));
    }
  }

  @Test
  void multiScaleRoiAlignEqualsTorchvisions() {
    JsonNode c = DetectionFixtures.get("multiscale_roi_align");
    try (PointerScope scope = new PointerScope()) {
      Tensor out =
          new MultiScaleRoiAlign(7, 2)
              .apply(
                  tensors(c.get("features")), tensors(c.get("boxes")), sizes(c.get("image_sizes")));
      assertClose(out, c.get("output"), 1e-5);
    }
  }

  @Test
  void maskTargetsEqualTorchvisions() {
    JsonNode c = DetectionFixtures.get("mask_targets");
    try (PointerScope scope = new PointerScope()) {
      Tensor targets =
          new MaskTargets(28)
              .project(tensor(c.get("masks")), tensor(c.get("proposals")), longs(c.get("matched")));
      assertClose(targets, c.get("targets"), 1e-6);
    }
  }
}
