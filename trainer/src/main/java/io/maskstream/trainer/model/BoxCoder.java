package io.maskstream.trainer.model;

import static io.maskstream.trainer.export.OnnxGraph.attr;
import static io.maskstream.trainer.model.BoxOps.keep;

import io.maskstream.trainer.export.GraphContext;
import io.maskstream.trainer.export.OnnxGraph;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Box regression targets as torchvision's {@code BoxCoder}: deltas {@code (dx, dy, dw, dh)} of a
 * box relative to a reference box, scaled by weights {@code (wx, wy, ww, wh)}, and their inverse,
 * with {@code dw, dh} clipped at {@code log(1000 / 16)} before {@code exp}.
 *
 * <p>The RPN uses weights (1, 1, 1, 1) and the box head (10, 10, 5, 5): the inverse of the standard
 * deviations (0.1, 0.1, 0.2, 0.2) of the deltas, so that both regression losses have comparable
 * size. Immutable; results are new tensors owned by the caller.
 */
// each PointerScope releases the temporaries created inside it without naming them
@SuppressWarnings("try")
public final class BoxCoder {
  /** torchvision's {@code bbox_xform_clip}. */
  public static final double DEFAULT_CLIP = Math.log(1000.0 / 16);

  private final double wx;
  private final double wy;
  private final double ww;
  private final double wh;
  private final double clip;

  /** A coder with weights {@code (wx, wy, ww, wh)} and the default clip. */
  public BoxCoder(double wx, double wy, double ww, double wh) {
    this(wx, wy, ww, wh, DEFAULT_CLIP);
  }

  /** A coder with weights {@code (wx, wy, ww, wh)} and a clip for {@code dw, dh}. */
  public BoxCoder(double wx, double wy, double ww, double wh, double clip) {
    this.wx = wx;
    this.wy = wy;
    this.ww = ww;
    this.wh = wh;
    this.clip = clip;
  }

  /**
   * The deltas {@code [N, 4]} that turn each {@code proposals} box into the matching {@code
   * targets} box (torchvision's {@code encode_single(targets, proposals)}).
   */
  public Tensor encode(Tensor targets, Tensor proposals) {
    try (PointerScope scope = new PointerScope()) {
      Tensor exW = proposals.select(1, 2).sub(proposals.select(1, 0));
      Tensor exH = proposals.select(1, 3).sub(proposals.select(1, 1));
      Tensor exX = proposals.select(1, 0).add(exW.mul(s(0.5)));
      Tensor exY = proposals.select(1, 1).add(exH.mul(s(0.5)));
      Tensor gtW = targets.select(1, 2).sub(targets.select(1, 0));
      Tensor gtH = targets.select(1, 3).sub(targets.select(1, 1));
      Tensor gtX = targets.select(1, 0).add(gtW.mul(s(0.5)));
      Tensor gtY = targets.select(1, 1).add(gtH.mul(s(0.5)));
      Tensor dx = gtX.sub(exX).mul(s(wx)).div(exW);
      Tensor dy = gtY.sub(exY).mul(s(wy)).div(exH);
      Tensor dw = torch.log(gtW.div(exW)).mul(s(ww));
      Tensor dh = torch.log(gtH.div(exH)).mul(s(wh));
      return keep(torch.stack(new TensorVector(dx, dy, dw, dh), 1));
    }
  }

  /**
   * The boxes {@code [N, 4K]} that {@code codes [N, 4K]} (K boxes per row, e.g. one per class) make
   * of the reference {@code boxes [N, 4]} (torchvision's {@code decode_single}).
   */
  public Tensor decode(Tensor codes, Tensor boxes) {
    try (PointerScope scope = new PointerScope()) {
      Tensor widths = boxes.select(1, 2).sub(boxes.select(1, 0));
      Tensor heights = boxes.select(1, 3).sub(boxes.select(1, 1));
      Tensor ctrX = boxes.select(1, 0).add(widths.mul(s(0.5))).unsqueeze(1);
      Tensor ctrY = boxes.select(1, 1).add(heights.mul(s(0.5))).unsqueeze(1);
      widths = widths.unsqueeze(1);
      heights = heights.unsqueeze(1);
      Tensor dx = every4(codes, 0).div(s(wx));
      Tensor dy = every4(codes, 1).div(s(wy));
      Tensor dw = every4(codes, 2).div(s(ww)).clamp_max(s(clip));
      Tensor dh = every4(codes, 3).div(s(wh)).clamp_max(s(clip));
      Tensor predX = dx.mul(widths).add(ctrX);
      Tensor predY = dy.mul(heights).add(ctrY);
      Tensor halfW = torch.exp(dw).mul(widths).mul(s(0.5));
      Tensor halfH = torch.exp(dh).mul(heights).mul(s(0.5));
      Tensor stacked =
          torch.stack(
              new TensorVector(
                  predX.sub(halfW), predY.sub(halfH), predX.add(halfW), predY.add(halfH)),
              2);
      return keep(stacked.flatten(1, 2));
    }
  }

  /**
   * {@link #decode} in an exported graph, with this coder's weights and clip: {@code codes [...,
   * 4]} applied to reference boxes {@code [..., 4]}, the shapes broadcasting.
   */
  public String export(GraphContext ctx, String codes, String references) {
    OnnxGraph g = ctx.graph();
    long axis = -1;
    String[] r = g.op("Split", 4, List.of(references, g.vector(1, 1, 1, 1)), attr("axis", axis));
    String[] c = g.op("Split", 4, List.of(codes, g.vector(1, 1, 1, 1)), attr("axis", axis));
    String half = g.scalar(0.5f);
    String widths = g.sub(r[2], r[0]);
    String heights = g.sub(r[3], r[1]);
    String ctrX = g.add(r[0], g.mul(widths, half));
    String ctrY = g.add(r[1], g.mul(heights, half));
    String dx = divide(g, c[0], wx);
    String dy = divide(g, c[1], wy);
    String clipValue = g.scalar((float) clip);
    String dw = g.min(divide(g, c[2], ww), clipValue);
    String dh = g.min(divide(g, c[3], wh), clipValue);
    String predX = g.add(g.mul(dx, widths), ctrX);
    String predY = g.add(g.mul(dy, heights), ctrY);
    String halfW = g.mul(g.mul(g.op("Exp", dw), widths), half);
    String halfH = g.mul(g.mul(g.op("Exp", dh), heights), half);
    return g.concat(
        axis, g.sub(predX, halfW), g.sub(predY, halfH), g.add(predX, halfW), g.add(predY, halfH));
  }

  private static String divide(OnnxGraph g, String x, double by) {
    return by == 1 ? x : g.div(x, g.scalar((float) by));
  }

  private static Tensor every4(Tensor codes, long offset) {
    return codes.slice(1, new LongOptional(offset), new LongOptional(), 4);
  }

  private static Scalar s(double v) {
    return new Scalar(v);
  }
}
