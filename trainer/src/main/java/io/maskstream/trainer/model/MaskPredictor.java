package io.maskstream.trainer.model;

import io.maskstream.trainer.engine.Init;
import io.maskstream.trainer.engine.LayerModule;
import io.maskstream.trainer.engine.nn.Conv2d;
import io.maskstream.trainer.engine.nn.ConvTranspose2d;
import io.maskstream.trainer.export.GraphContext;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The mask logits as torchvision's {@code MaskRCNNPredictor}: a 2x2 stride-2 transposed convolution
 * ({@code conv5_mask}) doubling the resolution, ReLU, and a 1x1 convolution to one logit map per
 * class ({@code mask_fcn_logits}). Weights {@code kaiming_normal_(fan_out)}, biases PyTorch's
 * default. Owns its parameters; outputs are the caller's.
 */
public final class MaskPredictor extends LayerModule {
  private final ConvTranspose2d upsample;
  private final Conv2d logits;

  /** A predictor from {@code in} channels through {@code reduced} to {@code numClasses} maps. */
  public MaskPredictor(SplittableRandom random, long in, long reduced, long numClasses) {
    // the fan-out of a transposed convolution's weight [in, out, k, k] is in * k * k
    this.upsample =
        registerModule(
            "conv5_mask",
            new ConvTranspose2d(
                Init.normal(random, Math.sqrt(2.0 / (in * 4)), in, reduced, 2, 2),
                Init.uniform(random, Init.defaultBound(reduced * 4), reduced),
                2));
    this.logits =
        registerModule(
            "mask_fcn_logits",
            new Conv2d(
                Init.normal(random, Math.sqrt(2.0 / numClasses), numClasses, reduced, 1, 1),
                Init.uniform(random, Init.defaultBound(reduced), numClasses),
                1,
                0));
  }

  /**
   * {@link #forward} in an exported graph, from the predictor's own layers.
   *
   * @param name the predictor's state-dict prefix ({@code roi_heads.mask_predictor})
   * @param x the mask head's features {@code [K, in, S, S]}
   * @return the mask logits {@code [K, numClasses, 2S, 2S]}
   */
  public String export(GraphContext ctx, String name, String x) {
    String up = ctx.graph().op("Relu", ctx.convTranspose(x, name + ".conv5_mask", upsample));
    return ctx.conv(up, name + ".mask_fcn_logits", logits);
  }

  /** {@code [K, in, S, S]} to mask logits {@code [K, numClasses, 2S, 2S]}. */
  @Override
  public Tensor forward(Tensor x) {
    try (Tensor up = upsample.forward(x);
        Tensor active = torch.relu(up)) {
      return logits.forward(active);
    }
  }
}
