package io.maskstream.trainer.model;

import io.maskstream.trainer.engine.Module;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * The first stage of Mask R-CNN as torchvision's {@code RegionProposalNetwork}: the head on every
 * pyramid level, anchors decoded into proposals and filtered (per-level top-n, NMS 0.7 per level,
 * per-image top-n), and in training the objectness and box losses on a balanced sample of 256
 * anchors per image (at most half positive). Parameter names: {@code head.*}. Owns its parameters;
 * results are the caller's.
 */
// each PointerScope releases the temporaries created inside it without naming them
@SuppressWarnings("try")
public final class RegionProposalNetwork extends Module {
  private final RpnHead head;
  private final AnchorGenerator anchors = AnchorGenerator.fpnDefault();
  private final BoxCoder coder = new BoxCoder(1, 1, 1, 1);
  private final AnchorTargets targets = new AnchorTargets();
  private final BalancedSampler sampler = new BalancedSampler(256, 0.5);
  private final ProposalFilter trainFilter;
  private final ProposalFilter testFilter;

  /**
   * An RPN on {@code channels}-channel pyramid levels keeping {@code preNmsTopN} anchors per level
   * and {@code postNmsTopN} proposals per image, each given for training and testing ({@code {2000,
   * 1000}} and {@code {2000, 1000}} in torchvision).
   */
  public RegionProposalNetwork(
      SplittableRandom random, long channels, int[] preNmsTopN, int[] postNmsTopN) {
    this.head = registerModule("head", new RpnHead(random, channels, 3));
    this.trainFilter = new ProposalFilter(preNmsTopN[0], postNmsTopN[0], 0.7, 0.0, 1e-3);
    this.testFilter = new ProposalFilter(preNmsTopN[1], postNmsTopN[1], 0.7, 0.0, 1e-3);
  }

  /**
   * The proposals of every image, and in training mode ({@code gtBoxes} not null) the losses {@code
   * loss_objectness} and {@code loss_rpn_box_reg}.
   *
   * @param levels the pyramid levels P2..P6 of the padded batch
   * @param paddedHeight the padded batch's height
   * @param paddedWidth the padded batch's width
   * @param imageSizes per image, {@code {height, width}} before padding
   * @param gtBoxes per image, {@code [G, 4]}, or {@code null} for inference
   * @param random the sampler's random source (training only)
   */
  public Result forward(
      List<Tensor> levels,
      int paddedHeight,
      int paddedWidth,
      List<int[]> imageSizes,
      List<Tensor> gtBoxes,
      SplittableRandom random) {
    int images = imageSizes.size();
    try (PointerScope scope = new PointerScope();
        RpnHead.Output out = head.forward(levels)) {
      List<int[]> grids = new ArrayList<>();
      long[] perLevel = new long[levels.size()];
      for (int l = 0; l < levels.size(); l++) {
        Tensor t = levels.get(l);
        grids.add(new int[] {(int) t.size(2), (int) t.size(3)});
        perLevel[l] = t.size(2) * t.size(3) * anchors.anchorsPerLocation(l);
      }
      Tensor imageAnchors = anchors.anchors(paddedHeight, paddedWidth, grids);
      Tensor[] repeated = new Tensor[images];
      java.util.Arrays.fill(repeated, imageAnchors);
      Tensor allAnchors = torch.cat(new TensorVector(repeated), 0);
      Tensor objectness = BoxOps.adopt(ProposalFilter.flatten(out.objectness(), 1));
      Tensor deltas = BoxOps.adopt(ProposalFilter.flatten(out.deltas(), 4));
      Tensor decoded = BoxOps.adopt(coder.decode(deltas.detach(), allAnchors));
      boolean training = gtBoxes != null;
      List<Proposals> proposals =
          (training ? trainFilter : testFilter).filter(decoded, objectness, imageSizes, perLevel);
      Map<String, Tensor> losses = new LinkedHashMap<>();
      if (training) {
        long[] labels = new long[0];
        long[] positive = new long[0];
        long[] negative = new long[0];
        List<Tensor> regression = new ArrayList<>();
        long offset = 0;
        for (int i = 0; i < images; i++) {
          AnchorTargets.Assignment a = targets.assign(imageAnchors, gtBoxes.get(i));
          regression.add(BoxOps.adopt(a.regression()));
          BalancedSampler.Sample s = sampler.sample(a.labels(), random);
          labels = concat(labels, a.labels(), 0);
          positive = concat(positive, s.positive(), offset);
          negative = concat(negative, s.negative(), offset);
          offset += a.labels().length;
        }
        Tensor targetDeltas = torch.cat(new TensorVector(regression.toArray(new Tensor[0])), 0);
        Losses.Pair pair = Losses.rpn(objectness, deltas, labels, targetDeltas, positive, negative);
        losses.put("loss_objectness", pair.classification());
        losses.put("loss_rpn_box_reg", pair.boxRegression());
      }
      return new Result(proposals, losses);
    }
  }

  private static long[] concat(long[] a, long[] b, long offset) {
    long[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    for (int i = 0; i < b.length; i++) {
      out[a.length + i] = b[i] + offset;
    }
    return out;
  }

  /**
   * The proposals per image and, in training, the losses; closing it closes all of them.
   *
   * @param proposals per image, best first
   * @param losses by torchvision's names; empty at inference
   */
  public record Result(List<Proposals> proposals, Map<String, Tensor> losses)
      implements AutoCloseable {
    @Override
    public void close() {
      proposals.forEach(Proposals::close);
      losses.values().forEach(Tensor::close);
    }
  }
}
