package io.maskstream.trainer.engine.nn;

import io.maskstream.trainer.engine.Init;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Batch normalisation with fixed statistics and affine parameters ({@code
 * torchvision.ops.FrozenBatchNorm2d}), as detection backbones use it: buffers {@code weight},
 * {@code bias}, {@code running_mean}, {@code running_var}, none trained.
 */
@SuppressWarnings("try") // the scope releases the temporaries of forward
public final class FrozenBatchNorm2d extends ChannelNorm {
  private static final double EPS = 1e-5;

  private final Tensor weight;
  private final Tensor bias;
  private final Tensor runningMean;
  private final Tensor runningVar;

  /** Identity statistics for {@code channels} channels, as torchvision initialises them. */
  public FrozenBatchNorm2d(long channels) {
    this.weight = registerBuffer("weight", Init.constant(1, channels));
    this.bias = registerBuffer("bias", Init.constant(0, channels));
    this.runningMean = registerBuffer("running_mean", Init.constant(0, channels));
    this.runningVar = registerBuffer("running_var", Init.constant(1, channels));
  }

  @Override
  public Tensor weight() {
    return weight;
  }

  @Override
  public Tensor bias() {
    return bias;
  }

  @Override
  public Tensor runningMean() {
    return runningMean;
  }

  @Override
  public Tensor runningVar() {
    return runningVar;
  }

  @Override
  public double eps() {
    return EPS;
  }

  /**
   * {@code x * scale + shift} per channel of {@code x [N, C, H, W]}; the result is the caller's.
   */
  @Override
  public Tensor forward(Tensor x) {
    try (PointerScope scope = new PointerScope()) {
      Tensor scale = weight.mul(torch.rsqrt(runningVar.add(new Scalar(EPS))));
      Tensor shift = bias.sub(runningMean.mul(scale));
      Tensor out = x.mul(scale.view(1, -1, 1, 1)).add(shift.view(1, -1, 1, 1));
      out.retainReference();
      return out;
    }
  }
}
