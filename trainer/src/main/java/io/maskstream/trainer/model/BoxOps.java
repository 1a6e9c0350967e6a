package io.maskstream.trainer.model;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Box operations on {@code [N, 4]} tensors of {@code [x1, y1, x2, y2]}, as {@code
 * torchvision.ops.boxes}: widths are {@code x2 - x1}, no +1. Results are new tensors owned by the
 * caller; stateless.
 */
// each PointerScope releases the temporaries created inside it without naming them
@SuppressWarnings("try")
public final class BoxOps {
  private BoxOps() {}

  /** Pairwise IoU {@code [M, N]} of boxes {@code a [M, 4]} and {@code b [N, 4]} (box_iou). */
  public static Tensor iou(Tensor a, Tensor b) {
    try (PointerScope scope = new PointerScope()) {
      Tensor areaA = adopt(area(a));
      Tensor areaB = adopt(area(b));
      Tensor a3 = a.unsqueeze(1);
      Tensor lt = torch.maximum(a3.slice(2, at(0), at(2), 1), b.slice(1, at(0), at(2), 1));
      Tensor rb = torch.minimum(a3.slice(2, at(2), at(4), 1), b.slice(1, at(2), at(4), 1));
      Tensor wh = rb.sub(lt).clamp(new ScalarOptional(new Scalar(0.0)));
      Tensor inter = wh.select(2, 0).mul(wh.select(2, 1));
      Tensor union = areaA.unsqueeze(1).add(areaB).sub(inter);
      return keep(inter.div(union));
    }
  }

  /** Areas {@code [N]} of boxes {@code [N, 4]}. */
  public static Tensor area(Tensor boxes) {
    try (PointerScope scope = new PointerScope()) {
      Tensor w = boxes.select(1, 2).sub(boxes.select(1, 0));
      Tensor h = boxes.select(1, 3).sub(boxes.select(1, 1));
      return keep(w.mul(h));
    }
  }

  static LongOptional at(long index) {
    return new LongOptional(index);
  }

  /**
   * Hands a tensor that a method returned to its caller (one released by {@link #keep}) to the
   * innermost open scope, which then releases it on close; without a scope it stays the caller's.
   */
  static Tensor adopt(Tensor t) {
    PointerScope scope = PointerScope.getInnerScope();
    if (scope != null) {
      scope.attach(t);
      t.releaseReference();
    }
    return t;
  }

  /** Keeps a tensor alive past the enclosing scope: the caller owns it. */
  static Tensor keep(Tensor t) {
    t.retainReference();
    return t;
  }
}
