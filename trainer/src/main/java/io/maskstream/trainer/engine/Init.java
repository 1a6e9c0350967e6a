package io.maskstream.trainer.engine;

import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;

/**
 * Parameter initialisation from a seeded Java random source, so that a model's initial weights
 * depend only on the seed. Stateless; tensors returned are owned by the caller.
 */
public final class Init {
  private Init() {}

  /** Values uniform in {@code [-bound, bound)}. */
  public static Tensor uniform(SplittableRandom random, double bound, long... shape) {
    float[] data = new float[numel(shape)];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
    }
    return Torch.floats(data, shape);
  }

  /** Values normal with mean 0 and standard deviation {@code std}. */
  public static Tensor normal(SplittableRandom random, double std, long... shape) {
    float[] data = new float[numel(shape)];
    for (int i = 0; i < data.length; i += 2) {
      // Box-Muller: two normal values per pair of uniforms
      double u1 = 1 - random.nextDouble();
      double u2 = random.nextDouble();
      double radius = Math.sqrt(-2 * Math.log(u1));
      data[i] = (float) (std * radius * Math.cos(2 * Math.PI * u2));
      if (i + 1 < data.length) {
        data[i + 1] = (float) (std * radius * Math.sin(2 * Math.PI * u2));
      }
    }
    return Torch.floats(data, shape);
  }

  /** A tensor of one value. */
  public static Tensor constant(double value, long... shape) {
    float[] data = new float[numel(shape)];
    java.util.Arrays.fill(data, (float) value);
    return Torch.floats(data, shape);
  }

  /**
   * PyTorch's default for convolutions and linear layers ({@code kaiming_uniform_(a=sqrt(5))}):
   * uniform with bound {@code 1 / sqrt(fanIn)}; the same bound serves their biases.
   */
  public static double defaultBound(long fanIn) {
    return 1 / Math.sqrt(fanIn);
  }

  private static int numel(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    if (n > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("tensor too large to initialise from Java: " + n);
    }
    return (int) n;
  }
}
