package io.maskstream.trainer.engine.nn;

import io.maskstream.trainer.engine.LayerModule;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * Layers applied in order ({@code torch.nn.Sequential}), registered under their index ({@code
 * 0.weight}, {@code 1.weight}, ...) as PyTorch names them. Owns its layers; intermediate results
 * are released as soon as the next layer has consumed them.
 */
public final class Sequential extends LayerModule {
  private final List<LayerModule> layers = new ArrayList<>();

  /** Appends {@code layer} under the next index; returns this. */
  public Sequential add(LayerModule layer) {
    registerModule(Integer.toString(layers.size()), layer);
    layers.add(layer);
    return this;
  }

  /** The layer at {@code index}. */
  public LayerModule get(int index) {
    return layers.get(index);
  }

  /** The number of layers. */
  public int size() {
    return layers.size();
  }

  @Override
  public Tensor forward(Tensor x) {
    Tensor current = x;
    for (LayerModule layer : layers) {
      Tensor next = layer.forward(current);
      if (current != x) {
        current.close();
      }
      current = next;
    }
    return current == x ? x.clone() : current;
  }
}
