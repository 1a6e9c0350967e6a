package io.maskstream.trainer.export;

import static io.maskstream.trainer.export.OnnxGraph.attr;

import io.maskstream.trainer.engine.Torch;
import io.maskstream.trainer.engine.nn.ChannelNorm;
import io.maskstream.trainer.engine.nn.Conv2d;
import io.maskstream.trainer.engine.nn.ConvTranspose2d;
import io.maskstream.trainer.engine.nn.Linear;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * What a model's components export themselves into: the {@link OnnxGraph} under construction, and
 * the layers they are made of written from their own weights - convolutions (alone, or with an
 * evaluation-mode normalisation folded in) and fully connected layers. Initializers are named after
 * the state-dict names the caller gives ({@code backbone.body.conv1+bn1.weight}), so that the graph
 * reads like the model.
 *
 * <p>Not thread-safe; one exporter builds one graph.
 */
// the PointerScope releases the copies made while reading a tensor
@SuppressWarnings("try")
public final class GraphContext {
  private final OnnxGraph g;
  private final Map<String, String[]> convInitializers = new HashMap<>();

  GraphContext(OnnxGraph g) {
    this.g = g;
  }

  /** The graph, for the operators a component writes itself. */
  public OnnxGraph graph() {
    return g;
  }

  /**
   * A float tensor's values (row-major) and shape, copied out of libtorch.
   *
   * @param values the elements, row-major
   * @param shape the dimensions
   */
  public record Weight(float[] values, long[] shape) {
    /** A copy of {@code t}, which stays the caller's. */
    public static Weight of(Tensor t) {
      Torch.load();
      try (PointerScope scope = new PointerScope()) {
        return new Weight(Torch.toFloats(t.detach()), t.shape());
      }
    }
  }

  /**
   * The statistics and affine parameters of a batch normalisation in evaluation mode: {@code (x -
   * mean) / sqrt(variance + eps) * scale + shift} per channel.
   *
   * @param scale the affine weight (gamma)
   * @param shift the affine bias (beta)
   * @param mean the running mean
   * @param variance the running variance
   * @param eps the constant added to the variance
   */
  public record Normalisation(
      float[] scale, float[] shift, float[] mean, float[] variance, double eps) {
    /** A copy of {@code norm}'s tensors, with its own eps. */
    public static Normalisation of(ChannelNorm norm) {
      return new Normalisation(
          Weight.of(norm.weight()).values(),
          Weight.of(norm.bias()).values(),
          Weight.of(norm.runningMean()).values(),
          Weight.of(norm.runningVar()).values(),
          norm.eps());
    }
  }

  /**
   * The convolution {@code conv}, named {@code name} (its state-dict prefix), with its own weights,
   * stride and padding; written once per name, as {@link #conv(String, String, Weight, Weight,
   * long, long)}.
   */
  public String conv(String x, String name, Conv2d conv) {
    String[] init =
        convInitializers.computeIfAbsent(
            name,
            k ->
                initializers(
                    k,
                    Weight.of(conv.weight()),
                    conv.bias() == null ? null : Weight.of(conv.bias())));
    return convolution(x, init[0], init[1], conv.weight().size(2), conv.stride(), conv.padding());
  }

  /**
   * The convolution {@code conv} followed by the normalisation {@code norm} in evaluation mode,
   * folded into one convolution as {@link #convNorm(String, String, Weight, Weight, Normalisation,
   * long, long)}, with the convolution's stride and padding and the normalisation's eps. The
   * initializers are named {@code convName+normLast} ({@code layer1.0.conv1+bn1}, {@code
   * layer2.0.downsample.0+1}), {@code normLast} the last part of {@code normName}.
   */
  public String convNorm(
      String x, String convName, Conv2d conv, String normName, ChannelNorm norm) {
    String name = convName + "+" + normName.substring(normName.lastIndexOf('.') + 1);
    return convNorm(
        x,
        name,
        Weight.of(conv.weight()),
        conv.bias() == null ? null : Weight.of(conv.bias()),
        Normalisation.of(norm),
        conv.stride(),
        conv.padding());
  }

  /**
   * The convolution {@code name} of {@code weight [out, in, k, k]} and {@code bias [out]} (zeros if
   * null) with the given stride and zero padding. Its initializers are written once per name, so
   * that a convolution applied to several inputs (a head shared by pyramid levels) is stored once.
   */
  public String conv(String x, String name, Weight weight, Weight bias, long stride, long padding) {
    String[] init = convInitializers.computeIfAbsent(name, k -> initializers(k, weight, bias));
    return convolution(x, init[0], init[1], weight.shape()[2], stride, padding);
  }

  /** The weight and bias (zeros if null) initializers of the convolution {@code name}. */
  private String[] initializers(String name, Weight weight, Weight bias) {
    float[] b = bias == null ? new float[(int) weight.shape()[0]] : bias.values();
    return new String[] {
      g.floats(name + ".weight", weight.values(), weight.shape()),
      g.floats(name + ".bias", b, weight.shape()[0])
    };
  }

  /**
   * The convolution of {@code weight} and {@code bias} (none if null) followed by the normalisation
   * {@code norm}, folded into one convolution named {@code name}: weights scaled by {@code scale /
   * sqrt(variance + eps)} per output channel, bias {@code shift + (bias - mean) * that}.
   */
  public String convNorm(
      String x,
      String name,
      Weight weight,
      Weight bias,
      Normalisation norm,
      long stride,
      long padding) {
    int out = (int) weight.shape()[0];
    int per = weight.values().length / out;
    float[] folded = new float[weight.values().length];
    float[] foldedBias = new float[out];
    for (int o = 0; o < out; o++) {
      double scale = norm.scale()[o] / Math.sqrt(norm.variance()[o] + norm.eps());
      for (int i = 0; i < per; i++) {
        folded[o * per + i] = (float) (weight.values()[o * per + i] * scale);
      }
      double b = bias == null ? 0 : bias.values()[o];
      foldedBias[o] = (float) (norm.shift()[o] + (b - norm.mean()[o]) * scale);
    }
    return convolution(
        x,
        g.floats(name + ".weight", folded, weight.shape()),
        g.floats(name + ".bias", foldedBias, out),
        weight.shape()[2],
        stride,
        padding);
  }

  /**
   * An ONNX {@code Conv} of {@code x} with the initializers {@code weight} and {@code bias}: a
   * square {@code kernel}, the given stride, zero padding on every side, no dilation, one group.
   */
  public String convolution(
      String x, String weight, String bias, long kernel, long stride, long padding) {
    return g.op(
        "Conv",
        List.of(x, weight, bias),
        attr("kernel_shape", kernel, kernel),
        attr("strides", stride, stride),
        attr("pads", padding, padding, padding, padding),
        attr("dilations", 1, 1),
        attr("group", 1L));
  }

  /**
   * The transposed convolution {@code conv}, named {@code name} (its state-dict prefix), with its
   * own weight {@code [in, out, k, k]}, bias and stride and no padding: an ONNX {@code
   * ConvTranspose}.
   */
  public String convTranspose(String x, String name, ConvTranspose2d conv) {
    Weight weight = Weight.of(conv.weight());
    long[] shape = weight.shape();
    List<OnnxGraph.Attr> attrs = new java.util.ArrayList<>();
    attrs.add(attr("kernel_shape", shape[2], shape[3]));
    attrs.add(attr("strides", conv.stride(), conv.stride()));
    if (conv.padding() > 0) {
      long p = conv.padding();
      attrs.add(attr("pads", p, p, p, p));
    }
    return g.op(
        "ConvTranspose",
        List.of(
            x,
            g.floats(name + ".weight", weight.values(), shape),
            g.floats(name + ".bias", Weight.of(conv.bias()).values(), shape[1])),
        attrs.toArray(OnnxGraph.Attr[]::new));
  }

  /**
   * The fully connected layer {@code linear}, named {@code name} (its state-dict prefix), with its
   * own weight and bias, as {@link #linear(String, String, Weight, Weight)}.
   */
  public String linear(String x, String name, Linear linear) {
    return linear(x, name, Weight.of(linear.weight()), Weight.of(linear.bias()));
  }

  /** The fully connected layer {@code name}: {@code x W^T + b} for {@code weight [out, in]}. */
  public String linear(String x, String name, Weight weight, Weight bias) {
    return g.op(
        "Gemm",
        List.of(
            x,
            g.floats(name + ".weight", weight.values(), weight.shape()),
            g.floats(name + ".bias", bias.values(), weight.shape()[0])),
        attr("transB", 1L));
  }
}
