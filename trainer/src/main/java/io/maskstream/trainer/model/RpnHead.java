package io.maskstream.trainer.model;

import io.maskstream.trainer.engine.Module;
import io.maskstream.trainer.engine.nn.Conv2d;
import io.maskstream.trainer.engine.nn.Relu;
import io.maskstream.trainer.engine.nn.Sequential;
import io.maskstream.trainer.export.GraphContext;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;

/**
 * The RPN head as torchvision's {@code RPNHead}: on every pyramid level a shared 3x3 convolution
 * and ReLU, then a 1x1 convolution to one objectness logit per anchor and one to four box deltas
 * per anchor; weights N(0, 0.01), biases 0. Parameter names are torchvision's ({@code
 * conv.0.0.weight}, {@code cls_logits.weight}, {@code bbox_pred.weight}).
 *
 * <p>Owns its parameters; the outputs of {@link #forward} are the caller's.
 */
public final class RpnHead extends Module {
  private static final double STD = 0.01;

  private final Sequential conv;
  private final Conv2d shared;
  private final Conv2d logits;
  private final Conv2d deltas;

  /** A head on {@code channels}-channel features with {@code anchors} anchors per location. */
  public RpnHead(SplittableRandom random, long channels, long anchors) {
    this.shared = Conv2d.normal(random, channels, channels, 3, 1, 1, STD);
    this.conv =
        registerModule("conv", new Sequential().add(new Sequential().add(shared).add(new Relu())));
    this.logits =
        registerModule("cls_logits", Conv2d.normal(random, channels, anchors, 1, 1, 0, STD));
    this.deltas =
        registerModule("bbox_pred", Conv2d.normal(random, channels, anchors * 4, 1, 1, 0, STD));
  }

  /**
   * Objectness logits {@code [B, A, H, W]} and deltas {@code [B, 4A, H, W]} per level.
   *
   * @return per level, in order; the caller closes the outputs
   */
  public Output forward(List<Tensor> features) {
    List<Tensor> objectness = new ArrayList<>();
    List<Tensor> boxDeltas = new ArrayList<>();
    for (Tensor feature : features) {
      try (Tensor t = conv.forward(feature)) {
        objectness.add(logits.forward(t));
        boxDeltas.add(deltas.forward(t));
      }
    }
    return new Output(objectness, boxDeltas);
  }

  /** The anchors per location: the objectness logits of one location. */
  public long anchors() {
    return logits.weight().size(0);
  }

  /**
   * {@link #forward} on one pyramid level in an exported graph, from the head's own convolutions
   * (shared by the levels, stored once).
   *
   * @param name the head's state-dict prefix ({@code rpn.head})
   * @param feature the level {@code [1, C, H, W]}
   * @return the objectness logits {@code [1, A, H, W]} and the deltas {@code [1, 4A, H, W]}
   */
  public String[] export(GraphContext ctx, String name, String feature) {
    String t = ctx.graph().op("Relu", ctx.conv(feature, name + ".conv.0.0", shared));
    return new String[] {
      ctx.conv(t, name + ".cls_logits", logits), ctx.conv(t, name + ".bbox_pred", deltas)
    };
  }

  /**
   * The head's outputs per pyramid level; closing it closes every tensor.
   *
   * @param objectness per level {@code [B, A, H, W]}
   * @param deltas per level {@code [B, 4A, H, W]}
   */
  public record Output(List<Tensor> objectness, List<Tensor> deltas) implements AutoCloseable {
    @Override
    public void close() {
      objectness.forEach(Tensor::close);
      deltas.forEach(Tensor::close);
    }
  }
}
