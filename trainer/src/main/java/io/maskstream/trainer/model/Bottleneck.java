package io.maskstream.trainer.model;

import io.maskstream.trainer.engine.LayerModule;
import io.maskstream.trainer.engine.nn.ChannelNorm;
import io.maskstream.trainer.engine.nn.Conv2d;
import io.maskstream.trainer.engine.nn.Sequential;
import io.maskstream.trainer.export.GraphContext;
import io.maskstream.trainer.export.OnnxGraph;
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
public final class Bottleneck extends LayerModule implements ResidualBlock {
  /** The ratio of a block's output channels to its width. */
  public static final long EXPANSION = 4;

  private final Conv2d conv1;
  private final ChannelNorm bn1;
  private final Conv2d conv2;
  private final ChannelNorm bn2;
  private final Conv2d conv3;
  private final ChannelNorm bn3;
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

  @Override
  public String export(GraphContext ctx, String name, String x) {
    OnnxGraph g = ctx.graph();
    String a = g.op("Relu", ctx.convNorm(x, name + ".conv1", conv1, name + ".bn1", bn1));
    String d = g.op("Relu", ctx.convNorm(a, name + ".conv2", conv2, name + ".bn2", bn2));
    String c = ctx.convNorm(d, name + ".conv3", conv3, name + ".bn3", bn3);
    return Shortcut.export(ctx, name, c, downsample, x);
  }
}
