package io.maskstream.trainer.engine.nn;

import io.maskstream.trainer.engine.Init;
import io.maskstream.trainer.engine.LayerModule;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * A fully connected layer ({@code torch.nn.Linear}): {@code weight [out, in]}, {@code bias [out]},
 * initialised as PyTorch does by default.
 */
public final class Linear extends LayerModule {
  private final Tensor weight;
  private final Tensor bias;

  /** A layer from {@code in} to {@code out} features. */
  public Linear(SplittableRandom random, long in, long out) {
    double bound = Init.defaultBound(in);
    this.weight = registerParameter("weight", Init.uniform(random, bound, out, in));
    this.bias = registerParameter("bias", Init.uniform(random, bound, out));
  }

  /** The weight {@code [out, in]}, owned by the layer. */
  public Tensor weight() {
    return weight;
  }

  /** The bias {@code [out]}, owned by the layer. */
  public Tensor bias() {
    return bias;
  }

  /** {@code x W^T + b} for {@code x [N, in]}; the result is the caller's. */
  @Override
  public Tensor forward(Tensor x) {
    try (TensorOptional b = new TensorOptional(bias)) {
      return torch.linear(x, weight, b);
    }
  }
}
