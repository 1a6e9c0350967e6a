package io.maskstream.trainer.model;

import io.maskstream.trainer.engine.Module;
import io.maskstream.trainer.engine.Torch;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * The deterministic weights of the torchvision fixtures (synthetic() in
 * make_torchvision_fixtures.py), which both sides compute exactly in float32 from each state-dict
 * key: a hash-based uniform value in [-1, 1) scaled by the fan-in to about unit variance, variances
 * near 1, means and biases near 0. So only inputs and outputs are stored.
 */
@SuppressWarnings("try") // the PointerScope releases the tensors made for loading
public final class SyntheticWeights {
  private SyntheticWeights() {}

  /** The rule's values for one state-dict entry, row-major. */
  public static float[] values(String key, long[] shape) {
    int n = 1;
    for (long d : shape) {
      n *= (int) d;
    }
    long salt = (key.hashCode() & 0xFFFFFFFFL) * 40503L;
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      long h = ((i + 1L) * 2654435761L + salt) & 0xFFFFFFFFL;
      float v = (float) ((h >>> 8) - (1L << 23)) / (float) (1 << 23);
      if (key.endsWith("running_var")) {
        out[i] = 1f + 0.5f * v;
      } else if (key.endsWith("running_mean") || key.endsWith("bias")) {
        out[i] = 0.1f * v;
      } else if (shape.length == 1) {
        out[i] = 1f + 0.25f * v;
      } else {
        long fanIn = n / shape[0];
        int e = (63 - Long.numberOfLeadingZeros(fanIn)) / 2;
        out[i] = v * (float) Math.scalb(1.0, -e);
      }
    }
    return out;
  }

  /**
   * Copies the rule's values into every floating-point entry of {@code module}'s state dict (all
   * but the int64 {@code num_batches_tracked} counters) and returns the module.
   */
  public static <M extends Module> M load(M module) {
    try (PointerScope scope = new PointerScope()) {
      Map<String, Tensor> weights = new LinkedHashMap<>();
      module
          .stateDict()
          .forEach(
              (k, v) -> {
                if (v.is_floating_point()) {
                  weights.put(k, Torch.floats(values(k, v.shape()), v.shape()));
                }
              });
      module.loadStateDict(weights, false);
    }
    return module;
  }
}
