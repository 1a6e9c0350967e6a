package io.maskstream.trainer.engine.nn;

import io.maskstream.trainer.engine.LayerModule;
import org.bytedeco.pytorch.Tensor;

/**
 * Per-channel batch normalisation, trained ({@link BatchNorm2d}) or frozen ({@link
 * FrozenBatchNorm2d}), which in evaluation mode computes {@code (x - running_mean) /
 * sqrt(running_var + eps) * weight + bias} for {@code x [N, C, H, W]}: what an exported graph folds
 * into the convolution before it. The tensors returned are the module's own.
 */
public abstract class ChannelNorm extends LayerModule {
  /** The per-channel scale (gamma). */
  public abstract Tensor weight();

  /** The per-channel shift (beta). */
  public abstract Tensor bias();

  /** The per-channel mean used in evaluation mode. */
  public abstract Tensor runningMean();

  /** The per-channel variance used in evaluation mode. */
  public abstract Tensor runningVar();

  /** The constant added to the variance. */
  public abstract double eps();
}
