package io.maskstream.trainer.model;

import io.maskstream.trainer.engine.nn.BatchNorm2d;
import io.maskstream.trainer.engine.nn.ChannelNorm;
import io.maskstream.trainer.engine.nn.FrozenBatchNorm2d;

/** The normalisation layer of a backbone: trained batch statistics, or frozen ones. */
public enum Norm {
  /** {@code BatchNorm2d}: trained affine parameters and running statistics (the tiny body). */
  BATCH,
  /** {@code FrozenBatchNorm2d}: fixed statistics and affine parameters (torchvision's ResNets). */
  FROZEN;

  /** A new layer of this kind over {@code channels} channels; the caller owns it. */
  ChannelNorm create(long channels) {
    return this == BATCH ? new BatchNorm2d(channels) : new FrozenBatchNorm2d(channels);
  }
}
