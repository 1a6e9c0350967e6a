package io.maskstream.trainer.model;

import io.maskstream.trainer.engine.LayerModule;
import io.maskstream.trainer.engine.nn.ChannelNorm;
import io.maskstream.trainer.engine.nn.Conv2d;
import io.maskstream.trainer.engine.nn.Sequential;
import io.maskstream.trainer.export.GraphContext;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * ResNet's basic residual block as torchvision's {@code BasicBlock}: {@code relu(bn2(conv2(relu(
 * bn1(conv1(x))))) + shortcut(x))}, two 3x3 convolutions, the first with the block's stride; the
 * shortcut is a {@link Shortcut}. Owns its parameters; outputs are the caller's.
 */
public final class BasicBlock extends LayerModule implements ResidualBlock {
  private final Conv2d conv1;
  private final ChannelNorm bn1;
  private final Conv2d conv2;
  private final ChannelNorm bn2;
  private final Sequential downsample;

  /** A block from {@code in} to {@code out} channels with the given stride. */
  public BasicBlock(SplittableRandom random, long in, long out, long stride, Norm norm) {
    this(random, in, out, stride, norm, ConvInit.KAIMING_FAN_OUT);
  }

  /** A block from {@code in} to {@code out} channels with the given stride and initialisation. */
  public BasicBlock(
      SplittableRandom random, long in, long out, long stride, Norm norm, ConvInit init) {
    this.conv1 = registerModule("conv1", init.create(random, in, out, 3, stride, 1));
    this.bn1 = registerModule("bn1", norm.create(out));
    this.conv2 = registerModule("conv2", init.create(random, out, out, 3, 1, 1));
    this.bn2 = registerModule("bn2", norm.create(out));
    Sequential shortcut = Shortcut.downsample(random, in, out, stride, norm, init);
    this.downsample = shortcut == null ? null : registerModule("downsample", shortcut);
  }

  @Override
  public Tensor forward(Tensor x) {
    Tensor y;
    try (Tensor a = conv1.forward(x);
        Tensor b = bn1.forward(a);
        Tensor c = torch.relu(b);
        Tensor d = conv2.forward(c)) {
      y = bn2.forward(d);
    }
    return Shortcut.join(y, downsample, x);
  }

  @Override
  public String export(GraphContext ctx, String name, String x) {
    String a = ctx.graph().op("Relu", ctx.convNorm(x, name + ".conv1", conv1, name + ".bn1", bn1));
    String c = ctx.convNorm(a, name + ".conv2", conv2, name + ".bn2", bn2);
    return Shortcut.export(ctx, name, c, downsample, x);
  }
}
