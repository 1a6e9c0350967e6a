package io.maskstream.trainer.model;

import io.maskstream.trainer.engine.Torch;
import java.util.Arrays;
import java.util.Comparator;
import org.bytedeco.pytorch.Tensor;

/**
 * Non-maximum suppression as {@code torchvision.ops.nms} and {@code batched_nms}: boxes in order of
 * descending score, each dropping the later ones that overlap it by IoU above the threshold.
 *
 * <p>libtorch has no NMS (it is a torchvision operator), so it is written out here on the CPU, in
 * float32 arithmetic like torchvision's CPU kernel; ties in score keep index order. Results are new
 * int64 tensors owned by the caller; stateless.
 */
public final class Nms {
  /** Above this many boxes torchvision's batched NMS runs per class instead of offsetting boxes. */
  private static final int COORDINATE_TRICK_LIMIT = 4000;

  private Nms() {}

  /** Indices {@code [K]} of the boxes {@code [N, 4]} kept, by descending score {@code [N]}. */
  public static Tensor nms(Tensor boxes, Tensor scores, double iouThreshold) {
    float[] b = Torch.toFloats(boxes);
    float[] s = Torch.toFloats(scores);
    return vector(keep(b, s, (float) iouThreshold));
  }

  /**
   * Indices of the boxes kept when NMS runs separately for each category {@code idxs [N]}, by
   * descending score.
   */
  public static Tensor batchedNms(Tensor boxes, Tensor scores, Tensor idxs, double iouThreshold) {
    return vector(
        batchedKeep(
            Torch.toFloats(boxes),
            Torch.toFloats(scores),
            Torch.toLongs(idxs),
            (float) iouThreshold));
  }

  /**
   * {@link #batchedNms} on Java arrays: boxes {@code [N * 4]}, scores and categories {@code [N]}.
   */
  static long[] batchedKeep(float[] b, float[] s, long[] category, float iouThreshold) {
    int n = s.length;
    if (n == 0) {
      return new long[0];
    }
    if (b.length <= COORDINATE_TRICK_LIMIT) {
      // torchvision offsets each category's boxes so that categories never overlap
      float max = Float.NEGATIVE_INFINITY;
      for (float v : b) {
        max = Math.max(max, v);
      }
      float[] shifted = new float[b.length];
      for (int i = 0; i < n; i++) {
        float offset = (float) category[i] * (max + 1f);
        for (int k = 0; k < 4; k++) {
          shifted[i * 4 + k] = b[i * 4 + k] + offset;
        }
      }
      return keep(shifted, s, iouThreshold);
    }
    boolean[] kept = new boolean[n];
    long[] categories = Arrays.stream(category).distinct().toArray();
    for (long c : categories) {
      int[] members =
          java.util.stream.IntStream.range(0, n).filter(i -> category[i] == c).toArray();
      float[] cb = new float[members.length * 4];
      float[] cs = new float[members.length];
      for (int m = 0; m < members.length; m++) {
        System.arraycopy(b, members[m] * 4, cb, m * 4, 4);
        cs[m] = s[members[m]];
      }
      for (long k : keep(cb, cs, iouThreshold)) {
        kept[members[(int) k]] = true;
      }
    }
    Integer[] order =
        java.util.stream.IntStream.range(0, n).filter(i -> kept[i]).boxed().toArray(Integer[]::new);
    Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -s[i]));
    return Arrays.stream(order).mapToLong(Integer::longValue).toArray();
  }

  private static Tensor vector(long[] values) {
    return Torch.longs(values, values.length);
  }

  static long[] keep(float[] boxes, float[] scores, float threshold) {
    int n = scores.length;
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -scores[i]));
    float[] areas = new float[n];
    for (int i = 0; i < n; i++) {
      areas[i] = (boxes[i * 4 + 2] - boxes[i * 4]) * (boxes[i * 4 + 3] - boxes[i * 4 + 1]);
    }
    boolean[] suppressed = new boolean[n];
    long[] keep = new long[n];
    int kept = 0;
    for (int oi = 0; oi < n; oi++) {
      int i = order[oi];
      if (suppressed[i]) {
        continue;
      }
      keep[kept++] = i;
      float ix1 = boxes[i * 4];
      float iy1 = boxes[i * 4 + 1];
      float ix2 = boxes[i * 4 + 2];
      float iy2 = boxes[i * 4 + 3];
      for (int oj = oi + 1; oj < n; oj++) {
        int j = order[oj];
        if (suppressed[j]) {
          continue;
        }
        float w = Math.max(0f, Math.min(ix2, boxes[j * 4 + 2]) - Math.max(ix1, boxes[j * 4]));
        float h = Math.max(0f, Math.min(iy2, boxes[j * 4 + 3]) - Math.max(iy1, boxes[j * 4 + 1]));
        float inter = w * h;
        float iou = inter / (areas[i] + areas[j] - inter);
        if (iou > threshold) {
          suppressed[j] = true;
        }
      }
    }
    return Arrays.copyOf(keep, kept);
  }
}
