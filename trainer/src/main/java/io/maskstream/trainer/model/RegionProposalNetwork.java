package io.maskstream.trainer.model;

import static io.maskstream.trainer.export.OnnxGraph.attr;

import io.maskstream.trainer.engine.Module;
import io.maskstream.trainer.export.BoxGraph;
import io.maskstream.trainer.export.GraphContext;
import io.maskstream.trainer.export.OnnxGraph;
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
 * anchors per image (at most half positive). Parameter names: {@code head.*}. The filter's settings
 * are the network's own, used by {@link #forward} and by {@link #export} alike. Owns its
 * parameters; results are the caller's.
 */
// each PointerScope releases the temporaries created inside it without naming them
@SuppressWarnings("try")
public final class RegionProposalNetwork extends Module {
  /** torchvision's {@code rpn_nms_thresh}. */
  public static final double NMS_THRESHOLD = 0.7;

  /** torchvision's {@code rpn_score_thresh}. */
  public static final double SCORE_THRESHOLD = 0.0;

  /** torchvision's smallest proposal side ({@code remove_small_boxes(min_size=1e-3)}). */
  public static final double MIN_SIZE = 1e-3;

  private final RpnHead head;
  private final AnchorGenerator anchors = AnchorGenerator.fpnDefault();
  private final BoxCoder coder;
  private final AnchorTargets targets = new AnchorTargets();
  private final BalancedSampler sampler = new BalancedSampler(256, 0.5);
  private final int testPreNmsTopN;
  private final int testPostNmsTopN;
  private final double nmsThreshold;
  private final double scoreThreshold;
  private final double minSize;
  private final ProposalFilter trainFilter;
  private final ProposalFilter testFilter;

  /**
   * An RPN on {@code channels}-channel pyramid levels keeping {@code preNmsTopN} anchors per level
   * and {@code postNmsTopN} proposals per image, each given for training and testing ({@code {2000,
   * 1000}} and {@code {2000, 1000}} in torchvision), with torchvision's other settings.
   */
  public RegionProposalNetwork(
      SplittableRandom random, long channels, int[] preNmsTopN, int[] postNmsTopN) {
    this(
        random,
        channels,
        preNmsTopN,
        postNmsTopN,
        NMS_THRESHOLD,
        SCORE_THRESHOLD,
        MIN_SIZE,
        new BoxCoder(1, 1, 1, 1));
  }

  /**
   * An RPN as {@link #RegionProposalNetwork(SplittableRandom, long, int[], int[])}, with the IoU
   * above which NMS suppresses a proposal of the same level, the lowest objectness probability
   * kept, the smallest proposal side, and the coder of the anchors' deltas.
   */
  public RegionProposalNetwork(
      SplittableRandom random,
      long channels,
      int[] preNmsTopN,
      int[] postNmsTopN,
      double nmsThreshold,
      double scoreThreshold,
      double minSize,
      BoxCoder coder) {
    this.head = registerModule("head", new RpnHead(random, channels, 3));
    this.coder = coder;
    this.testPreNmsTopN = preNmsTopN[1];
    this.testPostNmsTopN = postNmsTopN[1];
    this.nmsThreshold = nmsThreshold;
    this.scoreThreshold = scoreThreshold;
    this.minSize = minSize;
    this.trainFilter =
        new ProposalFilter(preNmsTopN[0], postNmsTopN[0], nmsThreshold, scoreThreshold, minSize);
    this.testFilter =
        new ProposalFilter(preNmsTopN[1], postNmsTopN[1], nmsThreshold, scoreThreshold, minSize);
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

  /**
   * The evaluation forward for one image in an exported graph: the head and the anchors on every
   * level, the best {@code preNmsTopN} (testing) anchors of each level decoded, clipped to the
   * resized image, small boxes dropped, NMS per level, then the best {@code postNmsTopN} by
   * objectness - the decisions of the test {@link ProposalFilter}, made with the same float32
   * arithmetic and tie rules.
   *
   * @param name the network's state-dict prefix ({@code rpn})
   * @param levels the pyramid levels, finest first
   * @param image the exported input transform, whose padded size places the anchors and whose
   *     resized size clips the proposals
   */
  public Exported export(
      GraphContext ctx, String name, List<String> levels, InputTransform.Exported image) {
    OnnxGraph g = ctx.graph();
    long perLocation = head.anchors();
    List<String> boxes = new ArrayList<>();
    List<String> logits = new ArrayList<>();
    List<String> levelOf = new ArrayList<>();
    List<String> objectness = new ArrayList<>();
    for (int l = 0; l < levels.size(); l++) {
      String f = levels.get(l);
      if (anchors.anchorsPerLocation(l) != perLocation) {
        throw new IllegalArgumentException(
            anchors.anchorsPerLocation(l)
                + " anchors per location for an RPN head with "
                + perLocation);
      }
      String[] out = head.export(ctx, name + ".head", f);
      // rows in anchor order (y, x, anchor), as ProposalFilter.flatten
      String flatLogits =
          g.reshape(g.transpose(g.reshape(out[0], 1, perLocation, -1), 0, 2, 1), -1);
      String flatDeltas =
          g.reshape(g.transpose(g.reshape(out[1], 1, perLocation, 4, -1), 0, 3, 1, 2), -1, 4);
      objectness.add(flatLogits);
      String levelAnchors = anchors.export(ctx, l, f, image.paddedHeight(), image.paddedWidth());
      String k = g.min(g.shape(flatLogits, 0, 1), g.vector((long) testPreNmsTopN));
      String[] top =
          g.op(
              "TopK",
              2,
              List.of(flatLogits, k),
              attr("axis", 0L),
              attr("largest", 1L),
              attr("sorted", 1L));
      String decoded =
          coder.export(ctx, g.gather(flatDeltas, top[1], 0), g.gather(levelAnchors, top[1], 0));
      boxes.add(decoded);
      logits.add(top[0]);
      levelOf.add(g.op("Expand", List.of(g.vector((long) l), g.shape(top[0], 0, 1))));
    }
    String all = BoxGraph.clip(g, g.concat(0, boxes.toArray(String[]::new)), image.resizedLimits());
    String allLogits = g.concat(0, logits.toArray(String[]::new));
    String allLevels = g.concat(0, levelOf.toArray(String[]::new));
    String keep = g.op("Not", BoxGraph.small(g, all, minSize));
    if (scoreThreshold > 0) {
      // sigmoid(logit) < threshold drops the box, as the filter compares
      String low =
          g.op(
              "Less",
              List.of(g.op("Sigmoid", allLogits), g.scalar(BoxGraph.floatAtLeast(scoreThreshold))));
      keep = g.op("And", List.of(keep, g.op("Not", low)));
    }
    String kept = BoxGraph.compress(g, all, keep);
    String keptLogits = BoxGraph.compress(g, allLogits, keep);
    String keptLevels = BoxGraph.compress(g, allLevels, keep);
    // within a level the boxes are in descending logit order, which is the order of their scores
    // in a stable sort (scores tie only where logits are in that order already)
    String survivors =
        BoxGraph.sortAscending(
            g, BoxGraph.nms(g, kept, keptLevels, 0, levels.size(), (float) nmsThreshold));
    String scores = g.op("Sigmoid", g.gather(keptLogits, survivors, 0));
    String k = g.min(g.shape(survivors, 0, 1), g.vector((long) testPostNmsTopN));
    String[] best =
        g.op(
            "TopK",
            2,
            List.of(scores, k),
            attr("axis", 0L),
            attr("largest", 1L),
            attr("sorted", 1L));
    return new Exported(g.gather(kept, g.gather(survivors, best[1], 0), 0), objectness);
  }

  /**
   * The tensors of an exported RPN.
   *
   * @param proposals the proposals {@code [P, 4]} in the resized image, best first
   * @param objectness per level, the logits {@code [T_l]} in anchor order
   */
  public record Exported(String proposals, List<String> objectness) {
    /** Copies the list. */
    public Exported {
      objectness = List.copyOf(objectness);
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
