package io.maskstream.trainer.model;

import static io.maskstream.trainer.model.BoxOps.keep;

import io.maskstream.trainer.engine.Torch;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * RoIAlign over a feature pyramid as torchvision's {@code MultiScaleRoIAlign}: each box is pooled
 * from the level {@code k = floor(4 + log2(sqrt(area) / 224) + 1e-6)}, clamped to the pyramid's
 * levels (equation 1 of the FPN paper), with {@code aligned=False}.
 *
 * <p>The levels' scales are inferred from the feature sizes and the largest image height of the
 * batch, as torchvision does: {@code 2^round(log2(feature height / image height))}. Immutable;
 * results are new tensors owned by the caller.
 */
// each PointerScope releases the temporaries created inside it without naming them
@SuppressWarnings("try")
public final class MultiScaleRoiAlign {
  private static final double CANONICAL_SCALE = 224;
  private static final double CANONICAL_LEVEL = 4;
  private static final double EPS = 1e-6;

  private final int outputSize;
  private final int samplingRatio;

  /** Pools to {@code outputSize x outputSize} with {@code samplingRatio^2} samples per bin. */
  public MultiScaleRoiAlign(int outputSize, int samplingRatio) {
    if (outputSize < 1 || samplingRatio < 1) {
      throw new IllegalArgumentException("output size and sampling ratio must be >= 1");
    }
    this.outputSize = outputSize;
    this.samplingRatio = samplingRatio;
  }

  /** The output side {@code P} of the pooled features {@code [K, C, P, P]}. */
  public int outputSize() {
    return outputSize;
  }

  /**
   * The pyramid level of each box {@code [N, 4]}, in {@code [minLevel, maxLevel]}: the FPN paper's
   * equation 1, computed in float32 as torchvision computes it.
   */
  public static long[] levels(Tensor boxes, int minLevel, int maxLevel) {
    if (boxes.size(0) == 0) {
      return new long[0];
    }
    try (PointerScope scope = new PointerScope()) {
      Tensor side = torch.sqrt(BoxOps.adopt(BoxOps.area(boxes)));
      Tensor level =
          torch
              .floor(
                  torch
                      .log2(side.div(new Scalar(CANONICAL_SCALE)))
                      .add(new Scalar(CANONICAL_LEVEL))
                      .add(Torch.floats(new float[] {(float) EPS})))
              .clamp(
                  new ScalarOptional(new Scalar((double) minLevel)),
                  new ScalarOptional(new Scalar((double) maxLevel)));
      float[] values = Torch.toFloats(level);
      long[] out = new long[values.length];
      for (int i = 0; i < out.length; i++) {
        out[i] = (long) values[i];
      }
      return out;
    }
  }

  /** The level (log2 of the stride) of a feature map, as torchvision infers it. */
  static int levelOf(long featureHeight, int imageHeight) {
    float ratio = (float) ((double) featureHeight / imageHeight);
    double log2 = Math.log(ratio) / Math.log(2);
    return (int) -Math.rint((float) log2);
  }

  /**
   * The pooled features {@code [K, C, P, P]} of the boxes of every image, in order (image 0's boxes
   * first).
   *
   * @param features the pyramid levels {@code [B, C, H_l, W_l]}, finest first, each half the
   *     previous one's size
   * @param boxes per image, {@code [N_i, 4]} in the (resized, unpadded) image's pixels
   * @param imageSizes per image, {@code {height, width}} before padding
   */
  public Tensor apply(List<Tensor> features, List<Tensor> boxes, List<int[]> imageSizes) {
    if (features.isEmpty() || boxes.size() != imageSizes.size() || boxes.isEmpty()) {
      throw new IllegalArgumentException(
          "need feature maps and as many box sets as image sizes, got "
              + boxes.size()
              + " and "
              + imageSizes.size());
    }
    int maxHeight = 0;
    for (int[] size : imageSizes) {
      maxHeight = Math.max(maxHeight, size[0]);
    }
    int[] levelOf = new int[features.size()];
    for (int l = 0; l < levelOf.length; l++) {
      levelOf[l] = levelOf(features.get(l).size(2), maxHeight);
    }
    try (PointerScope scope = new PointerScope()) {
      Tensor rois = BoxOps.adopt(rois(boxes));
      if (features.size() == 1) {
        return align(features.get(0), levelOf[0], rois);
      }
      Tensor all = torch.cat(new TensorVector(boxes.toArray(new Tensor[0])), 0);
      long[] level = levels(all, levelOf[0], levelOf[levelOf.length - 1]);
      int k = level.length;
      List<Tensor> parts = new ArrayList<>();
      long[] order = new long[k];
      int placed = 0;
      for (int l = 0; l < levelOf.length; l++) {
        List<Long> mine = new ArrayList<>();
        for (int i = 0; i < k; i++) {
          if (level[i] == levelOf[l]) {
            mine.add((long) i);
          }
        }
        if (mine.isEmpty()) {
          continue;
        }
        long[] idx = mine.stream().mapToLong(Long::longValue).toArray();
        System.arraycopy(idx, 0, order, placed, idx.length);
        placed += idx.length;
        Tensor levelRois = rois.index_select(0, Torch.longs(idx, idx.length));
        parts.add(BoxOps.adopt(align(features.get(l), levelOf[l], levelRois)));
      }
      if (parts.isEmpty()) {
        long channels = features.get(0).size(1);
        return keep(torch.zeros(new long[] {0, channels, outputSize, outputSize}));
      }
      Tensor stacked = torch.cat(new TensorVector(parts.toArray(new Tensor[0])), 0);
      long[] inverse = new long[k];
      for (int i = 0; i < k; i++) {
        inverse[(int) order[i]] = i;
      }
      return keep(stacked.index_select(0, Torch.longs(inverse, k)));
    }
  }

  private Tensor align(Tensor feature, int level, Tensor rois) {
    return new RoiAlign(outputSize, Math.scalb(1.0, -level), samplingRatio).apply(feature, rois);
  }

  /** {@code [K, 5]} rows {@code [image index, x1, y1, x2, y2]} of the boxes of every image. */
  static Tensor rois(List<Tensor> boxes) {
    try (PointerScope scope = new PointerScope()) {
      List<Tensor> rows = new ArrayList<>();
      for (int i = 0; i < boxes.size(); i++) {
        Tensor b = boxes.get(i);
        Tensor index = torch.full(new long[] {b.size(0), 1}, new Scalar((double) i));
        rows.add(torch.cat(new TensorVector(index, b), 1));
      }
      return keep(torch.cat(new TensorVector(rows.toArray(new Tensor[0])), 0));
    }
  }
}
