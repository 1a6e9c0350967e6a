package io.maskstream.trainer.model;

import io.maskstream.trainer.engine.Torch;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The RPN's training targets for one image, as torchvision's {@code
 * RegionProposalNetwork.assign_targets_to_anchors}: anchors matched to ground-truth boxes (IoU &ge;
 * 0.7 positive, &lt; 0.3 negative, in between ignored, every ground truth's best anchors positive),
 * and the deltas (weights 1, 1, 1, 1) from each anchor to its ground truth.
 *
 * <p>Immutable; the targets returned are owned by the caller.
 */
// each PointerScope releases the temporaries created inside it without naming them
@SuppressWarnings("try")
public final class AnchorTargets {
  private final Matcher matcher;
  private final BoxCoder coder;

  /** torchvision's RPN targets: matcher 0.7 / 0.3 with low-quality matches, unit weights. */
  public AnchorTargets() {
    this(new Matcher(0.7, 0.3, true), new BoxCoder(1, 1, 1, 1));
  }

  /** Targets from the given matcher and box coder. */
  public AnchorTargets(Matcher matcher, BoxCoder coder) {
    this.matcher = matcher;
    this.coder = coder;
  }

  /**
   * The label of every anchor (1 object, 0 background, -1 ignored) and the regression targets
   * {@code [A, 4]} (zeros for an image without ground truth, where none is used).
   */
  public Assignment assign(Tensor anchors, Tensor gtBoxes) {
    long count = anchors.size(0);
    try (PointerScope scope = new PointerScope()) {
      if (gtBoxes.size(0) == 0) {
        return new Assignment(new long[(int) count], BoxOps.keep(torch.zeros(count, 4)));
      }
      long[] matches =
          Torch.toLongs(BoxOps.adopt(matcher.match(BoxOps.adopt(BoxOps.iou(gtBoxes, anchors)))));
      long[] labels = new long[matches.length];
      for (int i = 0; i < labels.length; i++) {
        labels[i] = matches[i] >= 0 ? 1 : matches[i] == Matcher.BELOW_LOW ? 0 : -1;
      }
      Tensor index = Torch.longs(matches, matches.length).clamp(new ScalarOptional(new Scalar(0L)));
      return new Assignment(labels, coder.encode(gtBoxes.index_select(0, index), anchors));
    }
  }

  /**
   * The targets of one image's anchors; closing it closes the regression targets.
   *
   * @param labels per anchor: 1 object, 0 background, -1 ignored
   * @param regression {@code [A, 4]} deltas to the matched ground truth
   */
  public record Assignment(long[] labels, Tensor regression) implements AutoCloseable {
    @Override
    public void close() {
      regression.close();
    }
  }
}
