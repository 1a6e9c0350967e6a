package io.maskstream.trainer.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Entry point to libtorch (through JavaCPP's {@code org.bytedeco:pytorch}): loading the native
 * library once, and moving data between Java arrays and tensors.
 *
 * <p>Tensors returned here are new and owned by the caller, who closes them (or lets an enclosing
 * {@code PointerScope} do it). Thread-safe.
 */
public final class Torch {
  private static volatile boolean loaded;

  private Torch() {}

  /**
   * Loads libtorch once per process. The platform's libraries are unpacked to JavaCPP's cache
   * first, so that a system-wide libtorch (Debian's python3-torch) cannot be picked up by the
   * dynamic linker in their place.
   *
   * @throws UncheckedIOException if the native libraries cannot be unpacked
   */
  public static void load() {
    if (loaded) {
      return;
    }
    synchronized (Torch.class) {
      if (loaded) {
        return;
      }
      try {
        Loader.cacheResources("/org/bytedeco/pytorch/" + Loader.getPlatform() + "/");
      } catch (IOException e) {
        throw new UncheckedIOException("cannot unpack libtorch for " + Loader.getPlatform(), e);
      }
      Loader.load(torch.class);
      loaded = true;
    }
  }

  /** A new float32 tensor of {@code shape} holding a copy of {@code data} (row-major). */
  public static Tensor floats(float[] data, long... shape) {
    load();
    return Tensor.create(data, shape);
  }

  /** A new int64 tensor of {@code shape} holding a copy of {@code data} (row-major). */
  public static Tensor longs(long[] data, long... shape) {
    load();
    return Tensor.create(data, shape);
  }

  /** The values of a float32 tensor, row-major. */
  public static float[] toFloats(Tensor t) {
    try (Tensor c = t.contiguous()) {
      float[] out = new float[(int) c.numel()];
      FloatBuffer buffer = c.createBuffer();
      buffer.get(out);
      return out;
    }
  }

  /** The values of an int64 tensor, row-major. */
  public static long[] toLongs(Tensor t) {
    try (Tensor c = t.contiguous()) {
      long[] out = new long[(int) c.numel()];
      LongBuffer buffer = c.createBuffer();
      buffer.get(out);
      return out;
    }
  }

  /** A scalar for tensor arithmetic; owned by the caller (or the enclosing scope). */
  public static Scalar scalar(double v) {
    return new Scalar(v);
  }
}
