package io.maskstream.trainer.model;

import io.maskstream.trainer.engine.Layer;
import io.maskstream.trainer.export.GraphContext;

/** A residual block of a {@link ResNetBody} ({@link BasicBlock}, {@link Bottleneck}). */
interface ResidualBlock extends Layer {
  /**
   * The block's evaluation forward written into an exported graph from its own modules, the
   * normalisations folded into the convolutions before them.
   *
   * @param name the block's state-dict prefix ({@code backbone.body.layer1.0})
   * @param x the block's input {@code [1, C, H, W]}
   * @return the block's output
   */
  String export(GraphContext ctx, String name, String x);
}
