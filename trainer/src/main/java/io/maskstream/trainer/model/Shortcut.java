package io.maskstream.trainer.model;

import io.maskstream.trainer.engine.nn.Sequential;
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
}
