package io.maskstream.trainer.engine.nn;

import io.maskstream.trainer.engine.Init;
import io.maskstream.trainer.engine.Torch;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * Trainable batch normalisation ({@code torch.nn.BatchNorm2d}, momentum 0.1, eps 1e-5): parameters
 * {@code weight}, {@code bias}; buffers {@code running_mean}, {@code running_var}, {@code
 * num_batches_tracked}. Batch statistics in training mode (updating the running ones), running
 * statistics in evaluation mode.
 */
public final class BatchNorm2d extends ChannelNorm {
  private static final double MOMENTUM = 0.1;
  private static final double EPS = 1e-5;

  private final Tensor weight;
  private final Tensor bias;
  private final Tensor runningMean;
  private final Tensor runningVar;
  private final Tensor batches;

  /** Unit scale, zero shift and identity statistics for {@code channels} channels. */
  public BatchNorm2d(long channels) {
    this.weight = registerParameter("weight", Init.constant(1, channels));
    this.bias = registerParameter("bias", Init.constant(0, channels));
    this.runningMean = registerBuffer("running_mean", Init.constant(0, channels));
    this.runningVar = registerBuffer("running_var", Init.constant(1, channels));
    this.batches = registerBuffer("num_batches_tracked", Torch.longs(new long[] {0}));
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

  /** Normalises {@code x [N, C, H, W]}; the result is the caller's. */
  @Override
  public Tensor forward(Tensor x) {
    if (isTraining()) {
      batches.add_(new Scalar(1)); // in-place: returns this very tensor
    }
    try (TensorOptional w = new TensorOptional(weight);
        TensorOptional b = new TensorOptional(bias);
        TensorOptional mean = new TensorOptional(runningMean);
        TensorOptional var = new TensorOptional(runningVar)) {
      return torch.batch_norm(x, w, b, mean, var, isTraining(), MOMENTUM, EPS, false);
    }
  }
}
