package io.maskstream.trainer.model;

import static io.maskstream.trainer.model.BoxOps.keep;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Assigns each prediction (anchor or proposal) to a ground-truth box by IoU, as torchvision's
 * {@code Matcher}: the best ground truth if its IoU reaches {@code high}, {@link #BELOW_LOW} below
 * {@code low}, {@link #BETWEEN} in between. With low-quality matches allowed, every prediction that
 * ties a ground truth's best IoU keeps that ground truth even below {@code high}, so that no ground
 * truth is left without a positive. Immutable; results are new tensors owned by the caller.
 */
// each PointerScope releases the temporaries created inside it without naming them
@SuppressWarnings("try")
public final class Matcher {
  /** Match value of a prediction whose best IoU is below the low threshold. */
  public static final long BELOW_LOW = -1;

  /** Match value of a prediction whose best IoU lies between the thresholds. */
  public static final long BETWEEN = -2;

  private final double high;
  private final double low;
  private final boolean allowLowQuality;

  /**
   * A matcher with thresholds {@code low <= high}.
   *
   * @throws IllegalArgumentException if {@code low > high}
   */
  public Matcher(double high, double low, boolean allowLowQuality) {
    if (low > high) {
      throw new IllegalArgumentException("low threshold " + low + " above high " + high);
    }
    this.high = high;
    this.low = low;
    this.allowLowQuality = allowLowQuality;
  }

  /**
   * The match {@code [N]} (int64) of each prediction given the IoU matrix {@code [M ground truths,
   * N predictions]}: a ground-truth index, {@link #BELOW_LOW} or {@link #BETWEEN}.
   *
   * @throws IllegalArgumentException if the matrix is empty (no ground truth or no prediction)
   */
  public Tensor match(Tensor iou) {
    if (iou.numel() == 0) {
      throw new IllegalArgumentException(
          "no ground truth or no prediction to match: handle images without boxes before matching");
    }
    try (PointerScope scope = new PointerScope()) {
      T_TensorTensor_T best = iou.max(0);
      Tensor values = best.get0();
      Tensor matches = best.get1().clone();
      Tensor all = best.get1();
      Tensor below = values.lt(new Scalar(low));
      Tensor between = values.ge(new Scalar(low)).logical_and(values.lt(new Scalar(high)));
      matches.masked_fill_(below, new Scalar(BELOW_LOW));
      matches.masked_fill_(between, new Scalar(BETWEEN));
      if (allowLowQuality) {
        Tensor bestPerGt = iou.max(1).get0();
        Tensor ties = iou.eq(bestPerGt.unsqueeze(1)).any(0);
        matches = torch.where(ties, all, matches);
      }
      return keep(matches);
    }
  }
}
