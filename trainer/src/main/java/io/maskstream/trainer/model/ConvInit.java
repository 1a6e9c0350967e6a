package io.maskstream.trainer.model;

import io.maskstream.trainer.engine.nn.Conv2d;
import java.util.SplittableRandom;

/** How a backbone body's convolutions (no bias) start. */
public enum ConvInit {
  /**
   * {@code kaiming_normal_(mode="fan_out", nonlinearity="relu")}, as torchvision's {@code ResNet}
   * initialises its convolutions: the r18-fpn and r50-fpn bodies.
   */
  KAIMING_FAN_OUT,
  /**
   * PyTorch's own {@code nn.Conv2d} initialisation ({@code kaiming_uniform_(a=sqrt(5))}, bound
   * {@code 1 / sqrt(fan_in)}): the tiny body, as the torchvision script of the benchmarks builds
   * it. Behind batch normalisation these smaller weights take larger relative steps, which a
   * network trained from scratch at detection learning rates needs.
   */
  PYTORCH_DEFAULT;

  /** A new convolution without bias; the caller owns it. */
  Conv2d create(
      SplittableRandom random, long in, long out, long kernel, long stride, long padding) {
    return this == KAIMING_FAN_OUT
        ? Conv2d.kaimingFanOut(random, in, out, kernel, stride, padding, false)
        : new Conv2d(random, in, out, kernel, stride, padding, false);
  }
}
