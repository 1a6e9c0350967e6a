package io.maskstream.trainer.engine.nn;

import io.maskstream.trainer.engine.Init;
import io.maskstream.trainer.engine.LayerModule;
import io.maskstream.trainer.engine.Torch;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * A 2-D convolution ({@code torch.nn.Conv2d}): parameters {@code weight [out, in, k, k]} and, if
 * any, {@code bias [out]}, initialised as PyTorch does by default.
 */
public final class Conv2d extends LayerModule {
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
    this(
        Init.uniform(random, Init.defaultBound(in * kernel * kernel), out, in, kernel, kernel),
        withBias ? Init.uniform(random, Init.defaultBound(in * kernel * kernel), out) : null,
        stride,
        padding);
  }

  /**
   * A convolution with the given initial {@code weight [out, in, k, k]} and {@code bias [out]} (or
   * {@code null}); the module takes ownership of both.
   */
  public Conv2d(Tensor weight, Tensor bias, long stride, long padding) {
    this.weight = Torch.channelsLast(registerParameter("weight", weight));
    this.bias = bias == null ? null : registerParameter("bias", bias);
    this.stride = stride;
    this.padding = padding;
  }

  /**
   * A convolution with weights normal with mean 0 and standard deviation {@code std} and zero
   * biases, as detection heads initialise theirs.
   */
  public static Conv2d normal(
      SplittableRandom random,
      long in,
      long out,
      long kernel,
      long stride,
      long padding,
      double std) {
    return new Conv2d(
        Init.normal(random, std, out, in, kernel, kernel), Init.constant(0, out), stride, padding);
  }

  /**
   * A convolution with weights normal with standard deviation {@code sqrt(2 / (out * k * k))}
   * ({@code kaiming_normal_(mode="fan_out", nonlinearity="relu")}) and zero biases, as
   * torchvision's detection heads initialise theirs.
   */
  public static Conv2d kaimingFanOut(
      SplittableRandom random, long in, long out, long kernel, long stride, long padding) {
    return kaimingFanOut(random, in, out, kernel, stride, padding, true);
  }

  /**
   * {@link #kaimingFanOut(SplittableRandom, long, long, long, long, long)}, with or without bias.
   */
  public static Conv2d kaimingFanOut(
      SplittableRandom random,
      long in,
      long out,
      long kernel,
      long stride,
      long padding,
      boolean withBias) {
    return new Conv2d(
        Init.normal(random, Math.sqrt(2.0 / (out * kernel * kernel)), out, in, kernel, kernel),
        withBias ? Init.constant(0, out) : null,
        stride,
        padding);
  }

  /** The weight, owned by this module. */
  public Tensor weight() {
    return weight;
  }

  /** The bias, owned by this module, or null for a convolution without one. */
  public Tensor bias() {
    return bias;
  }

  /** The stride along both axes. */
  public long stride() {
    return stride;
  }

  /** The zero padding on every side. */
  public long padding() {
    return padding;
  }

  /** The convolution of {@code x [N, in, H, W]}; the result is the caller's. */
  @Override
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
