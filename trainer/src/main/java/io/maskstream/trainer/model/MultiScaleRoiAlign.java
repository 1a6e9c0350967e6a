package io.maskstream.trainer.model;

import static io.maskstream.trainer.export.OnnxGraph.DOUBLE;
import static io.maskstream.trainer.export.OnnxGraph.FLOAT;
import static io.maskstream.trainer.export.OnnxGraph.attr;
import static io.maskstream.trainer.model.BoxOps.keep;

import io.maskstream.trainer.engine.Torch;
import io.maskstream.trainer.export.BoxGraph;
import io.maskstream.trainer.export.GraphContext;
import io.maskstream.trainer.export.OnnxGraph;
import java.util.ArrayList;
import java.util.Arrays;
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
 * batch, as torchvision does: {@code 2^round(log2(feature height / image height))}. The pooler
 * reads the finest {@link #pooledLevels} levels of a pyramid (torchvision's {@code featmap_names}
 * {@code '0'..'3'}). Immutable; results are new tensors owned by the caller.
 */
// each PointerScope releases the temporaries created inside it without naming them
@SuppressWarnings("try")
public final class MultiScaleRoiAlign {
  private static final double CANONICAL_SCALE = 224;
  private static final double CANONICAL_LEVEL = 4;
  private static final double EPS = 1e-6;

  private static final int TORCHVISION_LEVELS = 4;

  private final int outputSize;
  private final int samplingRatio;
  private final int pooledLevels;

  /**
   * Pools to {@code outputSize x outputSize} with {@code samplingRatio^2} samples per bin from the
   * finest four levels of a pyramid, as torchvision's Mask R-CNN.
   */
  public MultiScaleRoiAlign(int outputSize, int samplingRatio) {
    this(outputSize, samplingRatio, TORCHVISION_LEVELS);
  }

  /**
   * Pools to {@code outputSize x outputSize} with {@code samplingRatio^2} samples per bin from the
   * finest {@code pooledLevels} levels of a pyramid.
   */
  public MultiScaleRoiAlign(int outputSize, int samplingRatio, int pooledLevels) {
    if (outputSize < 1 || samplingRatio < 1 || pooledLevels < 1) {
      throw new IllegalArgumentException(
          "output size, sampling ratio and pooled levels must be >= 1");
    }
    this.outputSize = outputSize;
    this.samplingRatio = samplingRatio;
    this.pooledLevels = pooledLevels;
  }

  /** How many of a pyramid's levels, finest first, the boxes are pooled from. */
  public int pooledLevels() {
    return pooledLevels;
  }

  /** The levels of {@code pyramid} (finest first) that are pooled from: the finest ones. */
  public <T> List<T> pooled(List<T> pyramid) {
    return pyramid.subList(0, Math.min(pooledLevels, pyramid.size()));
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
      float[] r = Torch.toFloats(BoxOps.adopt(rois(boxes)));
      int k = r.length / 5;
      long[] level = new long[k];
      if (features.size() == 1) {
        Arrays.fill(level, levelOf[0]);
      } else {
        Tensor all = torch.cat(new TensorVector(boxes.toArray(new Tensor[0])), 0);
        level = levels(all, levelOf[0], levelOf[levelOf.length - 1]);
      }
      // every level's rows in one table, so that one embedding_bag pools every box in order
      List<Tensor> tables = new ArrayList<>();
      long[] firstRow = new long[features.size()];
      int[] heights = new int[features.size()];
      int[] widths = new int[features.size()];
      long rows = 0;
      for (int l = 0; l < features.size(); l++) {
        firstRow[l] = rows;
        heights[l] = (int) features.get(l).size(2);
        widths[l] = (int) features.get(l).size(3);
        Tensor table = RoiAlign.table(features.get(l));
        rows += table.size(0);
        tables.add(table);
      }
      Tensor table =
          tables.size() == 1
              ? tables.get(0)
              : torch.cat(new TensorVector(tables.toArray(new Tensor[0])), 0);
      RoiAlign.Taps taps = new RoiAlign.Taps(k, outputSize, samplingRatio);
      for (int i = 0; i < k; i++) {
        int l = indexOf(levelOf, level[i]);
        long base = firstRow[l] + (long) r[i * 5] * heights[l] * widths[l];
        taps.add(r, i, Math.scalb(1.0, -levelOf[l]), base, heights[l], widths[l]);
      }
      return RoiAlign.pool(table, taps, features.get(0).size(1));
    }
  }

  private static int indexOf(int[] levels, long level) {
    for (int l = 0; l < levels.length; l++) {
      if (levels[l] == level) {
        return l;
      }
    }
    throw new IllegalArgumentException("no feature map of level " + level);
  }

  /**
   * {@link #apply} for one image in an exported graph: each box of {@code boxes [K, 4]} pooled to
   * {@code [K, C, P, P]} from its level of the {@link #pooled} levels of {@code pyramid}, whose
   * scales are inferred from the feature heights and {@code imageHeight} (the resized image's, an
   * int64 vector of one element) as {@link #levelOf} infers them; RoIAlign with aligned=False (ONNX
   * {@code output_half_pixel}). The level's scale (a power of two) is applied to the boxes, which
   * is exact, so the operator's own scale is 1.
   */
  public String export(GraphContext ctx, List<String> pyramid, String boxes, String imageHeight) {
    OnnxGraph g = ctx.graph();
    List<String> features = pooled(pyramid);
    String h = g.cast(imageHeight, DOUBLE);
    String ln2 = g.scalarDouble(Math.log(2));
    String[] levels = new String[features.size()];
    for (int l = 0; l < levels.length; l++) {
      // levelOf: -rint((float) log2((float) (feature height / image height)))
      String ratio = g.cast(g.div(g.cast(g.dim(features.get(l), 2), DOUBLE), h), FLOAT);
      String log2 = g.cast(g.div(g.op("Log", g.cast(ratio, DOUBLE)), ln2), FLOAT);
      levels[l] = g.op("Neg", g.op("Round", log2));
    }
    String x1 = BoxGraph.column(g, boxes, 0);
    String y1 = BoxGraph.column(g, boxes, 1);
    String x2 = BoxGraph.column(g, boxes, 2);
    String y2 = BoxGraph.column(g, boxes, 3);
    // levels: the FPN equation in float32
    String side = g.op("Sqrt", g.mul(g.sub(x2, x1), g.sub(y2, y1)));
    String ratio = g.cast(g.div(side, g.scalar((float) CANONICAL_SCALE)), DOUBLE);
    String log2 = g.cast(g.div(g.op("Log", ratio), ln2), FLOAT);
    String level =
        g.op("Floor", g.add(g.add(log2, g.scalar((float) CANONICAL_LEVEL)), g.scalar((float) EPS)));
    level = g.min(g.max(level, levels[0]), levels[levels.length - 1]);
    List<String> parts = new ArrayList<>();
    List<String> positions = new ArrayList<>();
    for (int l = 0; l < levels.length; l++) {
      String mine = g.squeeze(g.op("NonZero", g.op("Equal", List.of(level, levels[l]))), 0);
      String scale = g.op("Pow", List.of(g.scalar(2f), g.op("Neg", levels[l])));
      String rois = g.mul(g.gather(boxes, mine, 0), scale);
      String batch = g.mul(mine, g.scalar(0L));
      parts.add(
          g.op(
              "RoiAlign",
              List.of(features.get(l), rois, batch),
              attr("mode", "avg"),
              attr("output_height", (long) outputSize),
              attr("output_width", (long) outputSize),
              attr("sampling_ratio", (long) samplingRatio),
              attr("spatial_scale", 1f),
              attr("coordinate_transformation_mode", "output_half_pixel")));
      positions.add(mine);
    }
    String pooled = g.concat(0, parts.toArray(String[]::new));
    String index = g.unsqueeze(g.concat(0, positions.toArray(String[]::new)), 1);
    String shape =
        g.concat(
            0,
            g.dim(boxes, 0),
            g.dim(features.get(0), 1),
            g.vector((long) outputSize, (long) outputSize));
    String zeros = g.op("ConstantOfShape", shape);
    return g.op("ScatterND", List.of(zeros, index, pooled));
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
