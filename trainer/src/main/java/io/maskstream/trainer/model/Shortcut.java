package io.maskstream.trainer.model;

import io.maskstream.trainer.engine.nn.ChannelNorm;
import io.maskstream.trainer.engine.nn.Conv2d;
import io.maskstream.trainer.engine.nn.Sequential;
import io.maskstream.trainer.export.GraphContext;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The shortcut of torchvision's ResNet blocks ({@link BasicBlock}, {@link Bottleneck}): identity,
 * or a strided 1x1 convolution with normalisation ({@code downsample}) when the block changes the
 * shape, added to the block's branch before the last ReLU.
 */
final class Shortcut {
  private Shortcut() {}

  /**
   * The {@code downsample} module of a block from {@code in} to {@code out} channels with {@code
   * stride}, or null when the shortcut is the identity; the caller registers and owns it.
   */
  static Sequential downsample(
      SplittableRandom random, long in, long out, long stride, Norm norm, ConvInit init) {
    return stride != 1 || in != out
        ? new Sequential().add(init.create(random, in, out, 1, stride, 0)).add(norm.create(out))
        : null;
  }

  /**
   * {@code relu(branch + shortcut(x))}; closes {@code branch}, the caller owns {@code x} and the
   * result.
   */
  static Tensor join(Tensor branch, Sequential downsample, Tensor x) {
    try (Tensor residual = branch;
        Tensor shortcut = downsample == null ? null : downsample.forward(x);
        Tensor sum = residual.add(shortcut == null ? x : shortcut)) {
      return torch.relu(sum);
    }
  }

  /**
   * {@link #join} in an exported graph: {@code relu(branch + shortcut(x))}, the shortcut's
   * normalisation folded into its convolution.
   *
   * @param name the block's state-dict prefix
   * @param downsample the block's {@link #downsample} module (a {@link Conv2d} and a {@link
   *     ChannelNorm}), or null
   */
  static String export(
      GraphContext ctx, String name, String branch, Sequential downsample, String x) {
    String shortcut =
        downsample == null
            ? x
            : ctx.convNorm(
                x,
                name + ".downsample.0",
                (Conv2d) downsample.get(0),
                name + ".downsample.1",
                (ChannelNorm) downsample.get(1));
    return ctx.graph().op("Relu", ctx.graph().add(branch, shortcut));
  }
}
