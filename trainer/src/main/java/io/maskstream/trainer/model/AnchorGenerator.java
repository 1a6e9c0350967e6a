package io.maskstream.trainer.model;

import static io.maskstream.trainer.export.OnnxGraph.FLOAT;

import io.maskstream.trainer.engine.Torch;
import io.maskstream.trainer.export.BoxGraph;
import io.maskstream.trainer.export.GraphContext;
import io.maskstream.trainer.export.OnnxGraph;
import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * Anchors as torchvision's {@code AnchorGenerator} makes them: per feature level, base anchors
 * {@code round([-w, -h, w, h] / 2)} with {@code h = s * sqrt(r)}, {@code w = s / sqrt(r)} (float32,
 * round half to even), placed at {@code (x * stride, y * stride)} with {@code stride = padded image
 * size // feature size}, ordered by level, then y, then x, then anchor.
 *
 * <p>Immutable; the anchors depend only on sizes, so they are computed in Java and returned as a
 * new tensor owned by the caller.
 */
public final class AnchorGenerator {
  private final double[][] sizes;
  private final double[] ratios;

  /**
   * Anchors of {@code sizes[level]} (one or more per level) times {@code ratios} (height / width).
   */
  public AnchorGenerator(List<double[]> sizes, double[] ratios) {
    if (sizes.isEmpty() || ratios.length == 0) {
      throw new IllegalArgumentException("anchor sizes and ratios must not be empty");
    }
    this.sizes = sizes.stream().map(double[]::clone).toArray(double[][]::new);
    this.ratios = ratios.clone();
  }

  /** torchvision's Mask R-CNN FPN anchors: 32, 64, 128, 256, 512 on five levels, ratios 0.5/1/2. */
  public static AnchorGenerator fpnDefault() {
    return new AnchorGenerator(
        List.of(
            new double[] {32},
            new double[] {64},
            new double[] {128},
            new double[] {256},
            new double[] {512}),
        new double[] {0.5, 1.0, 2.0});
  }

  /** Anchors per location on {@code level}. */
  public int anchorsPerLocation(int level) {
    return sizes[level].length * ratios.length;
  }

  /** The base anchors of a level, {@code [x1, y1, x2, y2]} per anchor, centred on 0. */
  float[] cellAnchors(int level) {
    double[] scales = sizes[level];
    float[] out = new float[ratios.length * scales.length * 4];
    int i = 0;
    for (double ratio : ratios) {
      float h = (float) Math.sqrt((float) ratio);
      float w = 1f / h;
      for (double scale : scales) {
        float ws = w * (float) scale;
        float hs = h * (float) scale;
        out[i++] = (float) Math.rint(-ws / 2f);
        out[i++] = (float) Math.rint(-hs / 2f);
        out[i++] = (float) Math.rint(ws / 2f);
        out[i++] = (float) Math.rint(hs / 2f);
      }
    }
    return out;
  }

  /**
   * The anchors of one (padded) image size and its feature maps' sizes {@code {height, width}}, as
   * a new {@code [N, 4]} float32 tensor.
   *
   * @throws IllegalArgumentException if the number of levels differs from the sizes'
   */
  public Tensor anchors(int imageHeight, int imageWidth, List<int[]> featureSizes) {
    if (featureSizes.size() != sizes.length) {
      throw new IllegalArgumentException(
          featureSizes.size() + " feature maps for " + sizes.length + " anchor levels");
    }
    int total = 0;
    for (int level = 0; level < sizes.length; level++) {
      int[] grid = featureSizes.get(level);
      total += grid[0] * grid[1] * anchorsPerLocation(level);
    }
    float[] out = new float[total * 4];
    int i = 0;
    for (int level = 0; level < sizes.length; level++) {
      int[] grid = featureSizes.get(level);
      int strideY = imageHeight / grid[0];
      int strideX = imageWidth / grid[1];
      float[] base = cellAnchors(level);
      for (int y = 0; y < grid[0]; y++) {
        for (int x = 0; x < grid[1]; x++) {
          int sx = x * strideX;
          int sy = y * strideY;
          for (int a = 0; a < base.length; a += 4) {
            out[i++] = sx + base[a];
            out[i++] = sy + base[a + 1];
            out[i++] = sx + base[a + 2];
            out[i++] = sy + base[a + 3];
          }
        }
      }
    }
    return Torch.floats(out, total, 4);
  }

  /**
   * The anchors {@code [N, 4]} of {@code level} in an exported graph, as {@link #anchors} makes
   * them, for the feature map {@code feature [1, C, h, w]} of a padded image of the given size
   * (one-element int64 vectors): the level's cell anchors shifted by the integer strides.
   */
  public String export(
      GraphContext ctx, int level, String feature, String paddedHeight, String paddedWidth) {
    OnnxGraph g = ctx.graph();
    String h = g.dim(feature, 2);
    String w = g.dim(feature, 3);
    String strideY = g.div(paddedHeight, h);
    String strideX = g.div(paddedWidth, w);
    String ys = g.cast(g.mul(BoxGraph.range(g, h), strideY), FLOAT);
    String xs = g.cast(g.mul(BoxGraph.range(g, w), strideX), FLOAT);
    String shiftY = g.mul(g.reshape(ys, -1, 1, 1, 1), g.vector(0f, 1f, 0f, 1f));
    String shiftX = g.mul(g.reshape(xs, 1, -1, 1, 1), g.vector(1f, 0f, 1f, 0f));
    String base = g.floats("cell_anchors", cellAnchors(level), anchorsPerLocation(level), 4);
    return g.reshape(g.add(g.add(shiftX, shiftY), base), -1, 4);
  }
}
