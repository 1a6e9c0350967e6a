package io.maskstream.trainer.engine;

import org.bytedeco.pytorch.Tensor;

/**
 * A module with one input and one output, so that layers chain in a {@link
 * io.maskstream.trainer.engine.nn.Sequential}. The result of {@link #forward} is a new tensor owned
 * by the caller; the input stays the caller's.
 */
public interface Layer {
  /** The layer applied to {@code x}. */
  Tensor forward(Tensor x);
}
