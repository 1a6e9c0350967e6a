package io.maskstream.trainer.model;

import io.maskstream.trainer.engine.LayerModule;
import io.maskstream.trainer.engine.nn.Conv2d;
import io.maskstream.trainer.engine.nn.Sequential;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * ResNet's bottleneck residual block as torchvision's {@code Bottleneck} (ResNet v1.5): {@code
 * relu(bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(x)))))))) + shortcut(x))}, a 1x1 convolution to the
 * block's width, a 3x3 convolution with the block's stride, and a 1x1 convolution to {@link
 * #EXPANSION} times the width; the shortcut is a {@link Shortcut}. Owns its parameters; outputs are
 * the caller's.
 */
public final class Bottleneck extends LayerModule {
  /** The ratio of a block's output channels to its width. */
  public static final long EXPANSION = 4;

  private final Conv2d conv1;
  private final LayerModule bn1;
  private final Conv2d conv2;
  private final LayerModule bn2;
  private final Conv2d conv3;
  private final LayerModule bn3;
  private final Sequential downsample;

  /**
   * A block from {@code in} channels through {@code width} to {@code width * EXPANSION} channels
   * with the given stride.
   */
  public Bottleneck(SplittableRandom random, long in, long width, long stride, Norm norm) {
    long out = width * EXPANSION;
    this.conv1 = registerModule("conv1", Conv2d.kaimingFanOut(random, in, width, 1, 1, 0, false));
    this.bn1 = registerModule("bn1", norm.create(width));
    this.conv2 =
        registerModule("conv2", Conv2d.kaimingFanOut(random, width, width, 3, stride, 1, false));
    this.bn2 = registerModule("bn2", norm.create(width));
    this.conv3 = registerModule("conv3", Conv2d.kaimingFanOut(random, width, out, 1, 1, 0, false));
    this.bn3 = registerModule("bn3", norm.create(out));
    Sequential shortcut =
        Shortcut.downsample(random, in, out, stride, norm, ConvInit.KAIMING_FAN_OUT);
    this.downsample = shortcut == null ? null : registerModule("downsample", shortcut);
  }

  @Override
  public Tensor forward(Tensor x) {
    Tensor y;
    try (Tensor a = conv1.forward(x);
        Tensor b = bn1.forward(a);
        Tensor c = torch.relu(b);
        Tensor d = conv2.forward(c);
        Tensor e = bn2.forward(d);
        Tensor f = torch.relu(e);
        Tensor h = conv3.forward(f)) {
      y = bn3.forward(h);
    }
    return Shortcut.join(y, downsample, x);
  }
}
