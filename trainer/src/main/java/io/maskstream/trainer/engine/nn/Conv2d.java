package io.maskstream.trainer.engine.nn;

import io.maskstream.trainer.engine.Init;
import io.maskstream.trainer.engine.Module;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * A 2-D convolution ({@code torch.nn.Conv2d}): parameters {@code weight [out, in, k, k]} and, if
 * any, {@code bias [out]}, initialised as PyTorch does by default.
 */
public final class Conv2d extends Module {
  private final Tensor weight;
  private final Tensor bias;
  private final long stride;
  private final long padding;

  /** A {@code kernel x kernel} convolution with the given stride and zero padding. */
  public Conv2d(
      SplittableRandom random,
      long in,
      long out,
      long kernel,
      long stride,
      long padding,
      boolean withBias) {
    double bound = Init.defaultBound(in * kernel * kernel);
    this.weight = registerParameter("weight", Init.uniform(random, bound, out, in, kernel, kernel));
    this.bias = withBias ? registerParameter("bias", Init.uniform(random, bound, out)) : null;
    this.stride = stride;
    this.padding = padding;
  }

  /** The weight, owned by this module. */
  public Tensor weight() {
    return weight;
  }

  /** The convolution of {@code x [N, in, H, W]}; the result is the caller's. */
  public Tensor forward(Tensor x) {
    TensorOptional b = bias == null ? new TensorOptional() : new TensorOptional(bias);
    try {
      return torch.conv2d(
          x,
          weight,
          b,
          new long[] {stride, stride},
          new long[] {padding, padding},
          new long[] {1, 1},
          1);
    } finally {
      b.close();
    }
  }
}
