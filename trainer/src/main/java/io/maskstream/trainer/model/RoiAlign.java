package io.maskstream.trainer.model;

import static io.maskstream.trainer.model.BoxOps.keep;

import io.maskstream.trainer.engine.Torch;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * RoIAlign as {@code torchvision.ops.roi_align} with {@code aligned=False}: each region is divided
 * into {@code P x P} bins, each bin averages {@code S x S} bilinear samples at regularly spaced
 * points, with no rounding of the region's coordinates.
 *
 * <p>libtorch has no RoIAlign (it is a torchvision operator), and writing one by hand means writing
 * its backward too. RoIAlign is linear in the features: each output bin is a weighted sum of at
 * most {@code 4 S^2} feature cells. So the cells and weights of every bin ({@link Taps}) are
 * computed here exactly as torchvision's kernel computes them (float32, regions at least one
 * feature cell wide, samples outside [-1, size] read 0, samples in [-1, 0] clamped to 0, the last
 * row and column repeated at the far border), and the sums are one {@code embedding_bag} call (mode
 * sum, per-sample weights) over the features as a table of rows of {@code C} channels, one row per
 * (image, y, x): libtorch's autograd gives the gradient with respect to the features through its
 * embedding-bag backward. Regions get no gradient, as in torchvision. Immutable; results are new
 * tensors owned by the caller.
 */
// each PointerScope releases the temporaries created inside it without naming them
@SuppressWarnings("try")
public final class RoiAlign {
  /** embedding_bag's mode "sum". */
  private static final long SUM = 0;

  private final int outputSize;
  private final double spatialScale;
  private final int samplingRatio;

  /**
   * RoIAlign to {@code outputSize x outputSize} bins of {@code samplingRatio^2} samples, regions
   * scaled by {@code spatialScale} (1 / the feature map's stride).
   */
  public RoiAlign(int outputSize, double spatialScale, int samplingRatio) {
    if (outputSize < 1 || samplingRatio < 1 || !(spatialScale > 0)) {
      throw new IllegalArgumentException(
          "RoIAlign needs output size >= 1, sampling ratio >= 1 and a positive scale");
    }
    this.outputSize = outputSize;
    this.spatialScale = spatialScale;
    this.samplingRatio = samplingRatio;
  }

  /**
   * The pooled features {@code [K, C, P, P]} of {@code features [B, C, H, W]} in the regions {@code
   * rois [K, 5]} ({@code [batch index, x1, y1, x2, y2]} in image pixels), in channels-last memory
   * format (as embedding_bag writes them). Channels-last features are read without a copy.
   */
  public Tensor apply(Tensor features, Tensor rois) {
    long[] shape = features.shape();
    int height = (int) shape[2];
    int width = (int) shape[3];
    float[] r = Torch.toFloats(rois);
    int k = r.length / 5;
    Taps taps = new Taps(k, outputSize, samplingRatio);
    for (int i = 0; i < k; i++) {
      long base = (long) r[i * 5] * height * width;
      taps.add(r, i, spatialScale, base, height, width);
    }
    try (PointerScope scope = new PointerScope()) {
      return pool(table(features), taps, shape[1]);
    }
  }

  /**
   * The rows {@code [B * H * W, C]} of {@code features [B, C, H, W]} that {@link Taps} index: a
   * view when the features are channels-last, else a copy.
   */
  static Tensor table(Tensor features) {
    return features.permute(0, 2, 3, 1).reshape(-1, features.size(1));
  }

  /**
   * The bins {@code [K, C, P, P]} (channels-last) that {@code taps} describe, summed from the rows
   * of {@code table [N, C]}; the caller owns them.
   */
  static Tensor pool(Tensor table, Taps taps, long channels) {
    if (taps.added != taps.regions) {
      throw new IllegalStateException(taps.added + " of " + taps.regions + " regions added");
    }
    int p = taps.outputSize;
    try (PointerScope scope = new PointerScope()) {
      if (taps.regions == 0) {
        return keep(torch.zeros(new long[] {0, channels, p, p}));
      }
      int bins = taps.regions * p * p;
      int perBin = taps.perBin();
      long[] offsets = new long[bins];
      for (int i = 0; i < bins; i++) {
        offsets[i] = (long) i * perBin;
      }
      Tensor pooled =
          torch
              .embedding_bag(
                  table,
                  Torch.longs(taps.index, taps.index.length),
                  Torch.longs(offsets, bins),
                  false,
                  SUM,
                  false,
                  new TensorOptional(Torch.floats(taps.weight, taps.weight.length)),
                  false)
              .get0();
      return keep(pooled.view(taps.regions, p, p, channels).permute(0, 3, 1, 2));
    }
  }

  /**
   * torchvision's bilinear read at ({@code y}, {@code x}) of a {@code height x width} map: the four
   * cells ({@code y * width + x}) and their weights into {@code cells} and {@code weights}, or
   * false when the point reads 0 (more than one cell outside the map). Points in [-1, 0] read the
   * first row or column, points past the last row or column read it. The one home of this rule:
   * RoIAlign here and the mask targets ({@link MaskTargets}) read through it.
   */
  static boolean bilinear(float y, float x, int height, int width, int[] cells, float[] weights) {
    if (y < -1f || y > height || x < -1f || x > width) {
      return false;
    }
    y = Math.max(y, 0f);
    x = Math.max(x, 0f);
    int yLow = (int) y;
    int xLow = (int) x;
    int yHigh;
    int xHigh;
    if (yLow >= height - 1) {
      yHigh = yLow = height - 1;
      y = yLow;
    } else {
      yHigh = yLow + 1;
    }
    if (xLow >= width - 1) {
      xHigh = xLow = width - 1;
      x = xLow;
    } else {
      xHigh = xLow + 1;
    }
    float ly = y - yLow;
    float lx = x - xLow;
    float hy = 1f - ly;
    float hx = 1f - lx;
    cells[0] = yLow * width + xLow;
    weights[0] = hy * hx;
    cells[1] = yLow * width + xHigh;
    weights[1] = hy * lx;
    cells[2] = yHigh * width + xLow;
    weights[2] = ly * hx;
    cells[3] = yHigh * width + xHigh;
    weights[3] = ly * lx;
    return true;
  }

  /**
   * The table rows each output bin sums and their weights: {@code 4 S^2} per bin (a bilinear
   * sample's four cells, each sample weighted {@code 1 / S^2}), regions added in output order.
   */
  static final class Taps {
    private final int regions;
    private final int outputSize;
    private final int samplingRatio;
    private final long[] index;
    private final float[] weight;
    private final int[] cells = new int[4];
    private final float[] weights = new float[4];
    private int added;
    private int t;

    Taps(int regions, int outputSize, int samplingRatio) {
      this.regions = regions;
      this.outputSize = outputSize;
      this.samplingRatio = samplingRatio;
      this.index = new long[regions * outputSize * outputSize * 4 * samplingRatio * samplingRatio];
      this.weight = new float[index.length];
    }

    int perBin() {
      return 4 * samplingRatio * samplingRatio;
    }

    /**
     * Adds region {@code i} of {@code rois} ({@code [batch index, x1, y1, x2, y2]} rows) on a map
     * of {@code height x width} whose cell (0, 0) is table row {@code base}, at {@code scale}.
     */
    void add(float[] rois, int i, double scale, long base, int height, int width) {
      if (added++ == regions) {
        throw new IllegalStateException("more regions than the " + regions + " planned");
      }
      int p = outputSize;
      int s = samplingRatio;
      float count = s * s;
      float startW = (float) (rois[i * 5 + 1] * scale);
      float startH = (float) (rois[i * 5 + 2] * scale);
      float endW = (float) (rois[i * 5 + 3] * scale);
      float endH = (float) (rois[i * 5 + 4] * scale);
      float binW = Math.max(endW - startW, 1f) / p;
      float binH = Math.max(endH - startH, 1f) / p;
      for (int ph = 0; ph < p; ph++) {
        for (int pw = 0; pw < p; pw++) {
          for (int iy = 0; iy < s; iy++) {
            float y = startH + ph * binH + (iy + .5f) * binH / s;
            for (int ix = 0; ix < s; ix++) {
              float x = startW + pw * binW + (ix + .5f) * binW / s;
              if (!bilinear(y, x, height, width, cells, weights)) {
                for (int c = 0; c < 4; c++) {
                  index[t] = base;
                  weight[t++] = 0f;
                }
                continue;
              }
              for (int c = 0; c < 4; c++) {
                index[t] = base + cells[c];
                weight[t++] = weights[c] / count;
              }
            }
          }
        }
      }
    }
  }
}
