package io.maskstream.trainer.engine.nn;

import io.maskstream.trainer.engine.Init;
import io.maskstream.trainer.engine.Module;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * A 2-D transposed convolution ({@code torch.nn.ConvTranspose2d}, no padding): {@code weight [in,
 * out, k, k]} and {@code bias [out]}, initialised as PyTorch does by default.
 */
public final class ConvTranspose2d extends Module {
  private final Tensor weight;
  private final Tensor bias;
  private final long stride;

  /** A {@code kernel x kernel} transposed convolution with the given stride. */
  public ConvTranspose2d(SplittableRandom random, long in, long out, long kernel, long stride) {
    // PyTorch computes the fan-in of a transposed convolution from weight.size(1) * k * k
    double bound = Init.defaultBound(out * kernel * kernel);
    this.weight = registerParameter("weight", Init.uniform(random, bound, in, out, kernel, kernel));
    this.bias = registerParameter("bias", Init.uniform(random, bound, out));
    this.stride = stride;
  }

  /** The transposed convolution of {@code x [N, in, H, W]}; the result is the caller's. */
  public Tensor forward(Tensor x) {
    try (TensorOptional b = new TensorOptional(bias)) {
      return torch.conv_transpose2d(
          x, weight, b, new long[] {stride, stride}, new long[] {0, 0}, new long[] {0, 0}, 1, 1, 1);
    }
  }
}
