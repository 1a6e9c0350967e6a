package io.maskstream.trainer.model;

import io.maskstream.trainer.engine.Torch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Turns the RPN's decoded anchors into proposals as torchvision's {@code
 * RegionProposalNetwork.filter_proposals}: per image, the {@code preNmsTopN} best anchors of each
 * pyramid level by objectness, clipped to the image, boxes with a side below {@code minSize}
 * dropped, scores (sigmoid) below {@code scoreThreshold} dropped, NMS at {@code nmsThreshold}
 * within each level, then the {@code postNmsTopN} best of the image.
 *
 * <p>Immutable; the proposals returned are new tensors owned by the caller. The filter is not
 * differentiable: proposals carry no gradient, as in torchvision.
 */
// each PointerScope releases the temporaries created inside it without naming them
@SuppressWarnings("try")
public final class ProposalFilter {
  private final int preNmsTopN;
  private final int postNmsTopN;
  private final double nmsThreshold;
  private final double scoreThreshold;
  private final double minSize;

  /** A filter with torchvision's parameters for the RPN. */
  public ProposalFilter(
      int preNmsTopN, int postNmsTopN, double nmsThreshold, double scoreThreshold, double minSize) {
    if (preNmsTopN < 1 || postNmsTopN < 1) {
      throw new IllegalArgumentException("top-n values must be >= 1");
    }
    this.preNmsTopN = preNmsTopN;
    this.postNmsTopN = postNmsTopN;
    this.nmsThreshold = nmsThreshold;
    this.scoreThreshold = scoreThreshold;
    this.minSize = minSize;
  }

  /**
   * The proposals of every image.
   *
   * @param boxes the decoded anchors {@code [B, T, 4]}, levels in order within each image
   * @param objectness the logits {@code [B, T]} (any shape of B * T values)
   * @param imageSizes per image, {@code {height, width}} before padding
   * @param anchorsPerLevel the number T_l of anchors of each level in one image
   */
  public List<Proposals> filter(
      Tensor boxes, Tensor objectness, List<int[]> imageSizes, long[] anchorsPerLevel) {
    int images = imageSizes.size();
    List<Proposals> out = new ArrayList<>();
    try (PointerScope scope = new PointerScope()) {
      Tensor logits = objectness.detach().reshape(images, -1);
      Tensor decoded = boxes.detach().reshape(images, -1, 4);
      for (int i = 0; i < images; i++) {
        Tensor imageLogits = logits.select(0, i);
        long[] picks = new long[0];
        List<Long> levelOfPick = new ArrayList<>();
        long offset = 0;
        for (int l = 0; l < anchorsPerLevel.length; l++) {
          long n = anchorsPerLevel[l];
          long[] top =
              Torch.toLongs(imageLogits.narrow(0, offset, n).topk(Math.min(preNmsTopN, n)).get1());
          int start = picks.length;
          picks = Arrays.copyOf(picks, start + top.length);
          for (int j = 0; j < top.length; j++) {
            picks[start + j] = top[j] + offset;
            levelOfPick.add((long) l);
          }
          offset += n;
        }
        Tensor index = Torch.longs(picks, picks.length);
        float[] b = Torch.toFloats(decoded.select(0, i).index_select(0, index));
        float[] s = Torch.toFloats(imageLogits.index_select(0, index).sigmoid());
        int[] size = imageSizes.get(i);
        int n = s.length;
        float[] keptBoxes = new float[n * 4];
        float[] keptScores = new float[n];
        long[] keptLevels = new long[n];
        int m = 0;
        for (int j = 0; j < n; j++) {
          float x1 = clamp(b[j * 4], size[1]);
          float y1 = clamp(b[j * 4 + 1], size[0]);
          float x2 = clamp(b[j * 4 + 2], size[1]);
          float y2 = clamp(b[j * 4 + 3], size[0]);
          if (x2 - x1 < minSize || y2 - y1 < minSize || s[j] < scoreThreshold) {
            continue;
          }
          keptBoxes[m * 4] = x1;
          keptBoxes[m * 4 + 1] = y1;
          keptBoxes[m * 4 + 2] = x2;
          keptBoxes[m * 4 + 3] = y2;
          keptScores[m] = s[j];
          keptLevels[m] = levelOfPick.get(j);
          m++;
        }
        float[] fb = Arrays.copyOf(keptBoxes, m * 4);
        float[] fs = Arrays.copyOf(keptScores, m);
        long[] keep = Nms.batchedKeep(fb, fs, Arrays.copyOf(keptLevels, m), (float) nmsThreshold);
        int count = Math.min(keep.length, postNmsTopN);
        float[] rb = new float[count * 4];
        float[] rs = new float[count];
        for (int j = 0; j < count; j++) {
          int src = (int) keep[j];
          System.arraycopy(fb, src * 4, rb, j * 4, 4);
          rs[j] = fs[src];
        }
        out.add(
            new Proposals(
                BoxOps.keep(Torch.floats(rb, count, 4)), BoxOps.keep(Torch.floats(rs, count))));
      }
    }
    return out;
  }

  private static float clamp(float v, int max) {
    return Math.min(Math.max(v, 0f), (float) max);
  }

  /**
   * Flattens per-level head outputs {@code [B, A * C, H, W]} to {@code [B * T, C]} with rows in
   * anchor order (level, y, x, anchor), as torchvision's {@code concat_box_prediction_layers}.
   */
  public static Tensor flatten(List<Tensor> perLevel, int valuesPerAnchor) {
    try (PointerScope scope = new PointerScope()) {
      List<Tensor> parts = new ArrayList<>();
      for (Tensor t : perLevel) {
        long[] s = t.shape();
        long anchors = s[1] / valuesPerAnchor;
        parts.add(
            t.view(s[0], anchors, valuesPerAnchor, s[2], s[3])
                .permute(0, 3, 4, 1, 2)
                .reshape(s[0], -1, valuesPerAnchor));
      }
      Tensor all = torch.cat(new TensorVector(parts.toArray(new Tensor[0])), 1);
      return BoxOps.keep(all.reshape(-1, valuesPerAnchor));
    }
  }
}
