package io.maskstream.trainer.model;

import static io.maskstream.trainer.export.OnnxGraph.attr;

import io.maskstream.trainer.engine.LayerModule;
import io.maskstream.trainer.engine.Module;
import io.maskstream.trainer.engine.nn.ChannelNorm;
import io.maskstream.trainer.engine.nn.Conv2d;
import io.maskstream.trainer.engine.nn.Sequential;
import io.maskstream.trainer.export.GraphContext;
import io.maskstream.trainer.export.OnnxGraph;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * A ResNet of basic or bottleneck blocks up to its last stage, named as torchvision's {@code
 * ResNet} ({@code conv1}, {@code bn1}, {@code layer1.0.conv1}, ...): stem 7x7 stride-2 convolution,
 * normalisation, ReLU, 3x3 stride-2 max-pool, then four stages. Its outputs are the four stages'
 * feature maps (strides 4, 8, 16, 32), which feed the feature pyramid. Owns its parameters.
 */
public final class ResNetBody extends Module {
  private final Conv2d conv1;
  private final ChannelNorm bn1;
  private final List<Sequential> stages = new ArrayList<>();
  private final long[] widths;

  /** The residual block a body is made of. */
  public enum Block {
    /** {@link BasicBlock}: two 3x3 convolutions; a stage's output is as wide as the stage. */
    BASIC(1),
    /** {@link Bottleneck}: 1x1, 3x3, 1x1 convolutions; a stage's output is four times as wide. */
    BOTTLENECK(Bottleneck.EXPANSION);

    private final long expansion;

    Block(long expansion) {
      this.expansion = expansion;
    }

    /** The ratio of a stage's output channels to its width. */
    public long expansion() {
      return expansion;
    }

    LayerModule create(
        SplittableRandom random, long in, long width, long stride, Norm norm, ConvInit init) {
      return this == BASIC
          ? new BasicBlock(random, in, width, stride, norm, init)
          : new Bottleneck(random, in, width, stride, norm);
    }
  }

  /**
   * A body with stem width {@code stem}, stage widths {@code widths}, {@code blocks[i]} basic
   * blocks in stage i; stage 1 keeps the resolution, the others halve it.
   */
  public ResNetBody(SplittableRandom random, long stem, long[] widths, int[] blocks, Norm norm) {
    this(random, stem, widths, blocks, Block.BASIC, norm);
  }

  /**
   * A body with stem width {@code stem}, stage widths {@code widths}, {@code blocks[i]} blocks of
   * kind {@code block} in stage i, whose outputs are {@code widths[i] * block.expansion()} wide;
   * stage 1 keeps the resolution, the others halve it (in the 3x3 convolution of a bottleneck, as
   * ResNet v1.5).
   */
  public ResNetBody(
      SplittableRandom random, long stem, long[] widths, int[] blocks, Block block, Norm norm) {
    this(random, stem, widths, blocks, block, norm, ConvInit.KAIMING_FAN_OUT);
  }

  /**
   * As {@link #ResNetBody(SplittableRandom, long, long[], int[], Block, Norm)}, with the
   * convolutions initialised by {@code init} (bottleneck blocks always as torchvision's ResNet).
   */
  public ResNetBody(
      SplittableRandom random,
      long stem,
      long[] widths,
      int[] blocks,
      Block block,
      Norm norm,
      ConvInit init) {
    this.widths = new long[widths.length];
    this.conv1 = registerModule("conv1", init.create(random, 3, stem, 7, 2, 3));
    this.bn1 = registerModule("bn1", norm.create(stem));
    long in = stem;
    for (int s = 0; s < widths.length; s++) {
      Sequential stage = new Sequential();
      for (int b = 0; b < blocks[s]; b++) {
        long stride = b == 0 && s > 0 ? 2 : 1;
        stage.add(block.create(random, in, widths[s], stride, norm, init));
        in = widths[s] * block.expansion();
      }
      this.widths[s] = in;
      stages.add(registerModule("layer" + (s + 1), stage));
    }
  }

  /** torchvision's ResNet-18 with frozen normalisation, as detection backbones use it. */
  public static ResNetBody resnet18(SplittableRandom random) {
    return new ResNetBody(
        random, 64, new long[] {64, 128, 256, 512}, new int[] {2, 2, 2, 2}, Norm.FROZEN);
  }

  /**
   * torchvision's ResNet-50 with frozen normalisation, as detection backbones use it: bottleneck
   * blocks 3, 4, 6, 3 per stage, widths 64 to 512, outputs 256 to 2048 channels.
   */
  public static ResNetBody resnet50(SplittableRandom random) {
    return new ResNetBody(
        random,
        64,
        new long[] {64, 128, 256, 512},
        new int[] {3, 4, 6, 3},
        Block.BOTTLENECK,
        Norm.FROZEN);
  }

  /**
   * The {@code tiny} body: stem 32, one block per stage, widths 32/64/128/256, trained norm,
   * PyTorch's default convolution initialisation.
   */
  public static ResNetBody tiny(SplittableRandom random) {
    return new ResNetBody(
        random,
        32,
        new long[] {32, 64, 128, 256},
        new int[] {1, 1, 1, 1},
        Block.BASIC,
        Norm.BATCH,
        ConvInit.PYTORCH_DEFAULT);
  }

  /**
   * Freezes all but the last {@code trainableLayers} of (stem, stage 1, ..., stage 4), as
   * torchvision's {@code resnet_fpn_backbone(trainable_layers=...)} does (3 by default: stages 2 to
   * 4 train, the stem and stage 1 keep their weights).
   *
   * @throws IllegalArgumentException unless {@code 0 <= trainableLayers <= 5}
   */
  public void trainOnlyLast(int trainableLayers) {
    int parts = stages.size() + 1;
    if (trainableLayers < 0 || trainableLayers > parts) {
      throw new IllegalArgumentException(
          "trainable layers must be in [0, " + parts + "]: " + trainableLayers);
    }
    requiresGrad(false);
    for (int s = stages.size() - 1; s >= 0 && stages.size() - s <= trainableLayers; s--) {
      stages.get(s).requiresGrad(true);
    }
    if (trainableLayers == parts) {
      conv1.requiresGrad(true);
      bn1.requiresGrad(true);
    }
  }

  /** The channels of each stage's output. */
  public long[] widths() {
    return widths.clone();
  }

  /** The stages' outputs for images {@code [B, 3, H, W]}; the caller closes them. */
  public List<Tensor> forward(Tensor images) {
    List<Tensor> out = new ArrayList<>();
    Tensor x;
    try (Tensor a = conv1.forward(images);
        Tensor b = bn1.forward(a);
        Tensor c = torch.relu(b)) {
      x =
          torch.max_pool2d(
              c, new long[] {3, 3}, new long[] {2, 2}, new long[] {1, 1}, new long[] {1, 1}, false);
    }
    try (Tensor stem = x) {
      Tensor input = stem;
      for (Sequential stage : stages) {
        input = stage.forward(input);
        out.add(input);
      }
    }
    return out;
  }

  /**
   * {@link #forward} in an exported graph, for one image: the stem and every block written from
   * their own modules, the normalisations folded into the convolutions before them.
   *
   * @param name the body's state-dict prefix ({@code backbone.body})
   * @param images the normalised, padded batch {@code [1, 3, H, W]}
   * @return the stages' outputs, finest first
   */
  public List<String> export(GraphContext ctx, String name, String images) {
    OnnxGraph g = ctx.graph();
    String y = g.op("Relu", ctx.convNorm(images, name + ".conv1", conv1, name + ".bn1", bn1));
    y =
        g.op(
            "MaxPool",
            y,
            attr("kernel_shape", 3, 3),
            attr("strides", 2, 2),
            attr("pads", 1, 1, 1, 1));
    List<String> out = new ArrayList<>();
    for (int s = 0; s < stages.size(); s++) {
      Sequential stage = stages.get(s);
      for (int b = 0; b < stage.size(); b++) {
        // every block is made by Block.create
        ResidualBlock block = (ResidualBlock) stage.get(b);
        y = block.export(ctx, name + ".layer" + (s + 1) + "." + b, y);
      }
      out.add(y);
    }
    return out;
  }
}
