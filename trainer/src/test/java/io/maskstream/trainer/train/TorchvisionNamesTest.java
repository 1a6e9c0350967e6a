package io.maskstream.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.trainer.engine.Safetensors;
import io.maskstream.trainer.engine.Torch;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/** State dicts in the names of torchvision before 0.13, as its published COCO weights are. */
class TorchvisionNamesTest {
  @Test
  void earlierNamesAreRenamedAsTorchvisionRenamesThemOnLoading() {
    Torch.load();
    List<String> before =
        List.of(
            "backbone.fpn.inner_blocks.0.weight",
            "backbone.fpn.layer_blocks.3.bias",
            "backbone.fpn.inner_blocks.1.0.weight",
            "rpn.head.conv.weight",
            "rpn.head.cls_logits.weight",
            "roi_heads.mask_head.mask_fcn1.weight",
            "roi_heads.mask_head.mask_fcn4.bias",
            "roi_heads.mask_predictor.conv5_mask.weight");
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    before.forEach(k -> tensors.put(k, Torch.floats(new float[] {1f}, 1)));
    try (Safetensors.Contents renamed =
        Checkpoint.torchvisionNames(new Safetensors.Contents(tensors, Map.of()))) {
      assertThat(renamed.tensors().keySet())
          .containsExactly(
              "backbone.fpn.inner_blocks.0.0.weight",
              "backbone.fpn.layer_blocks.3.0.bias",
              "backbone.fpn.inner_blocks.1.0.weight",
              "rpn.head.conv.0.0.weight",
              "rpn.head.cls_logits.weight",
              "roi_heads.mask_head.0.0.weight",
              "roi_heads.mask_head.3.0.bias",
              "roi_heads.mask_predictor.conv5_mask.weight");
    }
  }
}
