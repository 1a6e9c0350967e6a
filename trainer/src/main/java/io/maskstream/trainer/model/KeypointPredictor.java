package io.maskstream.trainer.model;

import io.maskstream.trainer.engine.Init;
import io.maskstream.trainer.engine.LayerModule;
import io.maskstream.trainer.engine.nn.ConvTranspose2d;
import io.maskstream.trainer.export.GraphContext;
import io.maskstream.trainer.export.OnnxGraph;
import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The keypoint logits as torchvision's {@code KeypointRCNNPredictor}: a 4x4 stride-2 transposed
 * convolution with padding 1 ({@code kps_score_lowres}) to one heatmap per keypoint at twice the
 * resolution, then bilinear upsampling by 2 ({@code align_corners=False}): 14x14 RoI features give
 * 56x56 heatmaps. Weights {@code kaiming_normal_(fan_out)}, biases 0. Owns its parameters; outputs
 * are the caller's.
 */
public final class KeypointPredictor extends LayerModule {
  private static final long KERNEL = 4;

  private final ConvTranspose2d lowResolution;

  /** A predictor from {@code in} channels to {@code keypoints} heatmaps. */
  public KeypointPredictor(SplittableRandom random, long in, long keypoints) {
    // the fan-out of a transposed convolution's weight [in, out, k, k] is in * k * k
    this.lowResolution =
        registerModule(
            "kps_score_lowres",
            new ConvTranspose2d(
                Init.normal(
                    random, Math.sqrt(2.0 / (in * KERNEL * KERNEL)), in, keypoints, KERNEL, KERNEL),
                Init.constant(0, keypoints),
                2,
                KERNEL / 2 - 1));
  }

  /** The number of keypoints (heatmaps) it predicts. */
  public long keypoints() {
    return lowResolution.weight().size(1);
  }

  /**
   * {@link #forward} in an exported graph: the transposed convolution, then {@code Resize} linear
   * by 2 with half-pixel coordinates ({@code upsample_bilinear2d}, {@code align_corners=False}).
   *
   * @param name the predictor's state-dict prefix ({@code roi_heads.keypoint_predictor})
   * @param x the keypoint head's features {@code [R, in, S, S]}
   */
  public String export(GraphContext ctx, String name, String x) {
    OnnxGraph g = ctx.graph();
    String low = ctx.convTranspose(x, name + ".kps_score_lowres", lowResolution);
    return g.op(
        "Resize",
        List.of(low, "", g.vector(1f, 1f, 2f, 2f)),
        OnnxGraph.attr("mode", "linear"),
        OnnxGraph.attr("coordinate_transformation_mode", "half_pixel"));
  }

  /** {@code [R, in, S, S]} to keypoint logits {@code [R, keypoints, 4S, 4S]}. */
  @Override
  public Tensor forward(Tensor x) {
    try (Tensor low = lowResolution.forward(x)) {
      return torch.upsample_bilinear2d(low, new long[] {2 * low.size(2), 2 * low.size(3)}, false);
    }
  }
}
