package io.maskstream.trainer.engine.nn;

import io.maskstream.trainer.engine.Init;
import io.maskstream.trainer.engine.LayerModule;
import io.maskstream.trainer.engine.Torch;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * A 2-D transposed convolution ({@code torch.nn.ConvTranspose2d}): {@code weight [in, out, k, k]}
 * and {@code bias [out]}, initialised as PyTorch does by default.
 */
public final class ConvTranspose2d extends LayerModule {
  private final Tensor weight;
  private final Tensor bias;
  private final long stride;
  private final long padding;

  /** A {@code kernel x kernel} transposed convolution with the given stride. */
  public ConvTranspose2d(SplittableRandom random, long in, long out, long kernel, long stride) {
    // PyTorch computes the fan-in of a transposed convolution from weight.size(1) * k * k
    this(
        Init.uniform(random, Init.defaultBound(out * kernel * kernel), in, out, kernel, kernel),
        Init.uniform(random, Init.defaultBound(out * kernel * kernel), out),
        stride);
  }

  /**
   * A transposed convolution with the given initial {@code weight [in, out, k, k]} and {@code bias
   * [out]}; the module takes ownership of both.
   */
  public ConvTranspose2d(Tensor weight, Tensor bias, long stride) {
    this(weight, bias, stride, 0);
  }

  /**
   * A transposed convolution with the given initial {@code weight [in, out, k, k]} and {@code bias
   * [out]}, stride and padding; the module takes ownership of both.
   */
  public ConvTranspose2d(Tensor weight, Tensor bias, long stride, long padding) {
    this.weight = Torch.channelsLast(registerParameter("weight", weight));
    this.bias = registerParameter("bias", bias);
    this.stride = stride;
    this.padding = padding;
  }

  /** The weight {@code [in, out, k, k]}, owned by the layer. */
  public Tensor weight() {
    return weight;
  }

  /** The bias {@code [out]}, owned by the layer. */
  public Tensor bias() {
    return bias;
  }

  /** The stride, the same along both axes. */
  public long stride() {
    return stride;
  }

  /** The implicit zero padding removed from each side of the output. */
  public long padding() {
    return padding;
  }

  /** The transposed convolution of {@code x [N, in, H, W]}; the result is the caller's. */
  @Override
  public Tensor forward(Tensor x) {
    try (TensorOptional b = new TensorOptional(bias)) {
      return torch.conv_transpose2d(
          x,
          weight,
          b,
          new long[] {stride, stride},
          new long[] {padding, padding},
          new long[] {0, 0},
          1,
          1,
          1);
    }
  }
}
