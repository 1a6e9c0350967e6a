package io.maskstream.trainer.model;

import static io.maskstream.trainer.model.BoxOps.keep;

import io.maskstream.trainer.engine.Torch;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * The Mask R-CNN training losses with torchvision's normalisations. Box regression uses smooth-L1
 * with beta 1/9, summed over positives and divided by the number of sampled examples, so that the
 * weight of a positive does not depend on how many there are. Stateless; the loss tensors returned
 * are owned by the caller and carry gradients to the predictions.
 */
// each PointerScope releases the temporaries created inside it without naming them
@SuppressWarnings("try")
public final class Losses {
  /** Smooth-L1's beta: quadratic below 1/9, linear above. */
  public static final double BETA = 1.0 / 9;

  private static final long SUM = 2;

  private Losses() {}

  /**
   * The RPN losses over the sampled anchors of the batch: binary cross-entropy of the objectness
   * logits, and smooth-L1 of the positives' deltas.
   *
   * @param objectness logits, {@code T} values (the batch's anchors in order)
   * @param deltas {@code [T, 4]}
   * @param labels {@code T} labels, 1 object or 0 background for every sampled anchor
   * @param targets {@code [T, 4]} regression targets
   * @param positive sampled positives (indices into {@code T})
   * @param negative sampled negatives
   */
  public static Pair rpn(
      Tensor objectness,
      Tensor deltas,
      long[] labels,
      Tensor targets,
      long[] positive,
      long[] negative) {
    try (PointerScope scope = new PointerScope()) {
      Tensor pos = Torch.longs(positive, positive.length);
      Tensor sampled = torch.cat(new TensorVector(pos, Torch.longs(negative, negative.length)), 0);
      long count = positive.length + negative.length;
      Tensor box =
          torch
              .smooth_l1_loss(deltas.index_select(0, pos), targets.index_select(0, pos), SUM, BETA)
              .div(new Scalar((double) count));
      float[] wanted = new float[labels.length];
      for (int i = 0; i < wanted.length; i++) {
        wanted[i] = labels[i];
      }
      Tensor objects =
          torch.binary_cross_entropy_with_logits(
              objectness.reshape(-1).index_select(0, sampled),
              Torch.floats(wanted, wanted.length).index_select(0, sampled));
      return new Pair(keep(objects), keep(box));
    }
  }

  /**
   * The box head's losses over the sampled RoIs of the batch: cross-entropy of the class logits,
   * and smooth-L1 of the deltas predicted for each positive's ground-truth class.
   *
   * @param classLogits {@code [N, C]}
   * @param boxRegression {@code [N, 4C]}
   * @param labels {@code N} classes, 0 background
   * @param targets {@code [N, 4]} regression targets (box coder weights 10, 10, 5, 5)
   */
  public static Pair fastRcnn(
      Tensor classLogits, Tensor boxRegression, long[] labels, Tensor targets) {
    int n = labels.length;
    long classes = classLogits.size(1);
    try (PointerScope scope = new PointerScope()) {
      Tensor classification = torch.cross_entropy(classLogits, Torch.longs(labels, n));
      long[] rows =
          java.util.stream.IntStream.range(0, n)
              .filter(i -> labels[i] > 0)
              .asLongStream()
              .toArray();
      long[] cells = new long[rows.length];
      for (int i = 0; i < rows.length; i++) {
        cells[i] = rows[i] * classes + labels[(int) rows[i]];
      }
      Tensor predicted =
          boxRegression.reshape(n * classes, 4).index_select(0, Torch.longs(cells, cells.length));
      Tensor box =
          torch
              .smooth_l1_loss(
                  predicted, targets.index_select(0, Torch.longs(rows, rows.length)), SUM, BETA)
              .div(new Scalar((double) n));
      return new Pair(keep(classification), keep(box));
    }
  }

  /**
   * The mask loss: binary cross-entropy of each positive RoI's mask logits of its ground-truth
   * class against its target, averaged over pixels and RoIs (zero, with a gradient path, when there
   * is no positive).
   *
   * @param maskLogits {@code [P, C, M, M]}
   * @param maskTargets {@code [P, M, M]}
   * @param labels {@code P} ground-truth classes
   */
  public static Tensor mask(Tensor maskLogits, Tensor maskTargets, long[] labels) {
    try (PointerScope scope = new PointerScope()) {
      int p = labels.length;
      if (p == 0) {
        return keep(maskLogits.sum().mul(new Scalar(0.0)));
      }
      long[] s = maskLogits.shape();
      long[] cells = new long[p];
      for (int i = 0; i < p; i++) {
        cells[i] = i * s[1] + labels[i];
      }
      Tensor chosen =
          maskLogits.reshape(p * s[1], s[2], s[3]).index_select(0, Torch.longs(cells, p));
      return keep(torch.binary_cross_entropy_with_logits(chosen, maskTargets));
    }
  }

  /**
   * Two losses of one stage; closing it closes both.
   *
   * @param classification the objectness or class loss
   * @param boxRegression the box regression loss
   */
  public record Pair(Tensor classification, Tensor boxRegression) implements AutoCloseable {
    @Override
    public void close() {
      classification.close();
      boxRegression.close();
    }
  }
}
