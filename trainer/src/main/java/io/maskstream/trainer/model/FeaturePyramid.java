package io.maskstream.trainer.model;

import static io.maskstream.trainer.export.OnnxGraph.attr;

import io.maskstream.trainer.engine.Init;
import io.maskstream.trainer.engine.Module;
import io.maskstream.trainer.engine.nn.Conv2d;
import io.maskstream.trainer.engine.nn.ModuleList;
import io.maskstream.trainer.engine.nn.Sequential;
import io.maskstream.trainer.export.GraphContext;
import io.maskstream.trainer.export.OnnxGraph;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * A feature pyramid as torchvision's {@code FeaturePyramidNetwork} with {@code LastLevelMaxPool}: a
 * 1x1 lateral convolution per input level ({@code inner_blocks.i.0}), a top-down path adding the
 * nearest-upsampled coarser level, a 3x3 output convolution per level ({@code layer_blocks.i.0}),
 * and one more level made by 1x1 stride-2 max-pooling the coarsest output. Weights {@code
 * kaiming_uniform_(a=1)}, biases 0. Owns its parameters.
 */
public final class FeaturePyramid extends Module {
  private final ModuleList<Sequential> inner;
  private final ModuleList<Sequential> layer;

  /** A pyramid over inputs of {@code inChannels} channels, each output {@code channels} wide. */
  public FeaturePyramid(SplittableRandom random, long[] inChannels, long channels) {
    this.inner = registerModule("inner_blocks", new ModuleList<>());
    this.layer = registerModule("layer_blocks", new ModuleList<>());
    for (long in : inChannels) {
      inner.add(new Sequential().add(conv(random, in, channels, 1, 0)));
      layer.add(new Sequential().add(conv(random, channels, channels, 3, 1)));
    }
  }

  private static Conv2d conv(SplittableRandom random, long in, long out, long kernel, long pad) {
    // kaiming_uniform_ with a = 1: bound sqrt(6 / ((1 + a^2) * fan_in))
    double bound = Math.sqrt(3.0 / (in * kernel * kernel));
    return new Conv2d(
        Init.uniform(random, bound, out, in, kernel, kernel), Init.constant(0, out), 1, pad);
  }

  /**
   * The pyramid's levels, finest first, for the body's outputs (finest first): one per input plus
   * the pooled level. The caller closes them.
   */
  public List<Tensor> forward(List<Tensor> features) {
    int n = features.size();
    Tensor[] results = new Tensor[n];
    Tensor last = inner.get(n - 1).forward(features.get(n - 1));
    results[n - 1] = layer.get(n - 1).forward(last);
    for (int i = n - 2; i >= 0; i--) {
      try (Tensor coarser = last;
          Tensor lateral = inner.get(i).forward(features.get(i));
          Tensor topDown =
              torch.upsample_nearest2d(coarser, new long[] {lateral.size(2), lateral.size(3)})) {
        last = lateral.add(topDown);
      }
      results[i] = layer.get(i).forward(last);
    }
    last.close();
    List<Tensor> out = new ArrayList<>(List.of(results));
    out.add(
        torch.max_pool2d(
            results[n - 1],
            new long[] {1, 1},
            new long[] {2, 2},
            new long[] {0, 0},
            new long[] {1, 1},
            false));
    return out;
  }

  /**
   * {@link #forward} in an exported graph, for one image, from the pyramid's own convolutions.
   *
   * @param name the pyramid's state-dict prefix ({@code backbone.fpn})
   * @param features the body's outputs, finest first
   * @return the levels, finest first, and the pooled level
   */
  public List<String> export(GraphContext ctx, String name, List<String> features) {
    OnnxGraph g = ctx.graph();
    int n = features.size();
    String[] results = new String[n];
    String last = lateral(ctx, name, n - 1, features.get(n - 1));
    results[n - 1] = output(ctx, name, n - 1, last);
    for (int i = n - 2; i >= 0; i--) {
      String lateral = lateral(ctx, name, i, features.get(i));
      // upsample_nearest2d to the lateral's size; the sizes are exact doublings
      String topDown =
          g.op(
              "Resize",
              List.of(last, "", "", g.shape(lateral, 0, 4)),
              attr("mode", "nearest"),
              attr("coordinate_transformation_mode", "asymmetric"),
              attr("nearest_mode", "floor"));
      last = g.add(lateral, topDown);
      results[i] = output(ctx, name, i, last);
    }
    List<String> out = new ArrayList<>(List.of(results));
    out.add(g.op("MaxPool", results[n - 1], attr("kernel_shape", 1, 1), attr("strides", 2, 2)));
    return out;
  }

  /** The lateral 1x1 convolution of level {@code i} ({@code inner_blocks.i.0}) in a graph. */
  private String lateral(GraphContext ctx, String name, int i, String x) {
    return ctx.conv(x, name + ".inner_blocks." + i + ".0", (Conv2d) inner.get(i).get(0));
  }

  /** The 3x3 output convolution of level {@code i} ({@code layer_blocks.i.0}) in a graph. */
  private String output(GraphContext ctx, String name, int i, String x) {
    return ctx.conv(x, name + ".layer_blocks." + i + ".0", (Conv2d) layer.get(i).get(0));
  }
}
