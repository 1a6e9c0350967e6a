package io.maskstream.trainer.engine.nn;

import io.maskstream.trainer.engine.LayerModule;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * {@code max(x, 0)} ({@code torch.nn.ReLU}); no parameters, but a place in a {@link Sequential}'s
 * numbering as in PyTorch.
 */
public final class Relu extends LayerModule {
  @Override
  public Tensor forward(Tensor x) {
    return torch.relu(x);
  }
}
