package io.maskstream.trainer.model;

import static io.maskstream.trainer.model.BoxOps.keep;

import io.maskstream.trainer.engine.Torch;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * RoIAlign as {@code torchvision.ops.roi_align} with {@code aligned=False}: each region is divided
 * into {@code P x P} bins, each bin averages {@code S x S} bilinear samples at regularly spaced
 * points, with no rounding of the region's coordinates.
 *
 * <p>libtorch has no RoIAlign (it is a torchvision operator). The sample points of all regions of
 * an image are computed here exactly as torchvision computes them (float32, regions at least one
 * feature cell wide, samples outside [-1, size] read 0, samples in [-1, 0] or [size - 1, size]
 * clamped to the border) and read with one {@code grid_sampler} call, so libtorch's autograd gives
 * the gradient with respect to the features. Regions get no gradient, as in torchvision. Immutable;
 * results are new tensors owned by the caller.
 */
// each PointerScope releases the temporaries created inside it without naming them
@SuppressWarnings("try")
public final class RoiAlign {
  /** A normalised grid coordinate far outside the map: grid_sampler reads 0 there. */
  private static final float OUTSIDE = -10f;

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
   * rois [K, 5]} ({@code [batch index, x1, y1, x2, y2]} in image pixels).
   */
  public Tensor apply(Tensor features, Tensor rois) {
    long[] shape = features.shape();
    int batch = (int) shape[0];
    int channels = (int) shape[1];
    int height = (int) shape[2];
    int width = (int) shape[3];
    float[] r = Torch.toFloats(rois);
    int k = r.length / 5;
    int p = outputSize;
    int s = samplingRatio;
    try (PointerScope scope = new PointerScope()) {
      if (k == 0) {
        return keep(torch.zeros(new long[] {0, channels, p, p}));
      }
      List<Tensor> parts = new ArrayList<>();
      long[] order = new long[k];
      int placed = 0;
      for (int b = 0; b < batch; b++) {
        List<Integer> mine = new ArrayList<>();
        for (int i = 0; i < k; i++) {
          if ((int) r[i * 5] == b) {
            mine.add(i);
          }
        }
        if (mine.isEmpty()) {
          continue;
        }
        int side = p * s;
        float[] grid = new float[mine.size() * side * side * 2];
        int g = 0;
        for (int i : mine) {
          order[placed++] = i;
          float startW = (float) (r[i * 5 + 1] * spatialScale);
          float startH = (float) (r[i * 5 + 2] * spatialScale);
          float endW = (float) (r[i * 5 + 3] * spatialScale);
          float endH = (float) (r[i * 5 + 4] * spatialScale);
          float roiW = Math.max(endW - startW, 1f);
          float roiH = Math.max(endH - startH, 1f);
          float binW = roiW / p;
          float binH = roiH / p;
          for (int py = 0; py < side; py++) {
            float y = startH + (py / s) * binH + ((py % s) + .5f) * binH / s;
            for (int px = 0; px < side; px++) {
              float x = startW + (px / s) * binW + ((px % s) + .5f) * binW / s;
              if (y < -1f || y > height || x < -1f || x > width) {
                grid[g++] = OUTSIDE;
                grid[g++] = OUTSIDE;
                continue;
              }
              float cy = Math.min(Math.max(y, 0f), height - 1);
              float cx = Math.min(Math.max(x, 0f), width - 1);
              grid[g++] = (2 * cx + 1) / width - 1;
              grid[g++] = (2 * cy + 1) / height - 1;
            }
          }
        }
        Tensor sampleGrid = Torch.floats(grid, 1, (long) mine.size() * side, side, 2);
        Tensor map = features.select(0, b).unsqueeze(0);
        // bilinear (0), zero padding (0), align_corners false: pixel = ((g + 1) * size - 1) / 2
        Tensor samples = torch.grid_sampler(map, sampleGrid, 0, 0, false);
        Tensor pooled = samples.view(channels, mine.size(), p, s, p, s).mean(3, 5);
        parts.add(pooled.permute(1, 0, 2, 3));
      }
      Tensor stacked = torch.cat(new TensorVector(parts.toArray(new Tensor[0])), 0);
      long[] inverse = new long[k];
      for (int i = 0; i < k; i++) {
        inverse[(int) order[i]] = i;
      }
      return keep(stacked.index_select(0, Torch.longs(inverse, k)));
    }
  }
}
