package io.maskstream.trainer.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.PointerScope;
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
// the PointerScopes release what Tensor.create allocates besides the tensor
@SuppressWarnings("try")
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

  /**
   * A new float32 tensor of {@code shape} holding a copy of {@code data} (row-major), owned by the
   * innermost open {@link PointerScope} or, without one, by the caller.
   */
  public static Tensor floats(float[] data, long... shape) {
    load();
    Tensor t;
    try (PointerScope scope = new PointerScope()) {
      t = Tensor.create(data, shape);
      t.retainReference();
    }
    return toCallerScope(t);
  }

  /**
   * A new int64 tensor of {@code shape} holding a copy of {@code data} (row-major), owned by the
   * innermost open {@link PointerScope} or, without one, by the caller.
   */
  public static Tensor longs(long[] data, long... shape) {
    load();
    Tensor t;
    try (PointerScope scope = new PointerScope()) {
      t = Tensor.create(data, shape);
      t.retainReference();
    }
    return toCallerScope(t);
  }

  /**
   * Gives a tensor that outlived the scope it was made in (the options and indexer {@code
   * Tensor.create} allocates stay there and are released with it) to the caller's scope, if any.
   */
  private static Tensor toCallerScope(Tensor t) {
    PointerScope outer = PointerScope.getInnerScope();
    if (outer != null) {
      outer.attach(t);
      t.releaseReference();
    }
    return t;
  }

  /**
   * Stores {@code t} (4-D) in channels-last memory format in place, as {@code t.data =
   * t.contiguous(memory_format=torch.channels_last)} does in PyTorch: its values, shape and
   * identity stay. Convolution weights are kept so, so that oneDNN's convolutions of channels-last
   * features read them without a reorder at every call.
   */
  public static Tensor channelsLast(Tensor t) {
    try (Tensor c = t.contiguous(torch.MemoryFormat.ChannelsLast)) {
      t.__dispatch_set_data(c);
    }
    return t;
  }

  /** The values of a float32 tensor, row-major. */
  public static float[] toFloats(Tensor t) {
    try (Tensor c = t.contiguous()) {
      float[] out = new float[(int) c.numel()];
      if (out.length == 0) {
        return out; // an empty tensor may have no data pointer to make a buffer of
      }
      FloatBuffer buffer = c.createBuffer();
      buffer.get(out);
      return out;
    }
  }

  /** The values of an int64 tensor, row-major. */
  public static long[] toLongs(Tensor t) {
    try (Tensor c = t.contiguous()) {
      long[] out = new long[(int) c.numel()];
      if (out.length == 0) {
        return out; // an empty tensor may have no data pointer to make a buffer of
      }
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
