package io.maskstream.trainer.model;

import static io.maskstream.trainer.model.BoxOps.keep;

import io.maskstream.trainer.engine.Torch;
import io.maskstream.trainer.export.GraphContext;
import io.maskstream.trainer.export.OnnxGraph;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The keypoint head's targets, loss and decoding, as torchvision's {@code keypoints_to_heatmap},
 * {@code keypointrcnn_loss} and {@code heatmaps_to_keypoints} compute them: each keypoint is one
 * cell of an {@code S x S} heatmap over its RoI (a one-hot target, softmax cross-entropy over the
 * cells), and a predicted heatmap is resized bicubically to the RoI's size in pixels and read at
 * its maximum. Float32 arithmetic in torchvision's order. Stateless; tensors returned are the
 * caller's.
 */
// each PointerScope releases the temporaries created inside it without naming them
@SuppressWarnings("try")
public final class KeypointHeatmaps {
  private KeypointHeatmaps() {}

  /**
   * Heatmap targets of keypoints in their RoIs.
   *
   * @param cells per RoI and keypoint ({@code R * K}, row-major), the target cell {@code y * S + x}
   *     (0 where not valid)
   * @param valid per RoI and keypoint, whether it is a target: labelled ({@code v > 0}) and inside
   *     the RoI
   */
  public record Targets(long[] cells, boolean[] valid) {}

  /**
   * The targets of keypoints {@code [R, K, 3]} (x, y, v) in RoIs {@code [R, 4]} on {@code size x
   * size} heatmaps. A keypoint exactly on the RoI's right (bottom) edge falls in the last column
   * (row).
   */
  public static Targets targets(Tensor keypoints, Tensor rois, int size) {
    float[] k = Torch.toFloats(keypoints);
    float[] r = Torch.toFloats(rois);
    int count = (int) keypoints.size(0);
    int perRoi = count == 0 ? 0 : (int) keypoints.size(1);
    long[] cells = new long[count * perRoi];
    boolean[] valid = new boolean[count * perRoi];
    for (int i = 0; i < count; i++) {
      float offsetX = r[4 * i];
      float offsetY = r[4 * i + 1];
      float scaleX = size / (r[4 * i + 2] - r[4 * i]);
      float scaleY = size / (r[4 * i + 3] - r[4 * i + 1]);
      for (int j = 0; j < perRoi; j++) {
        int at = i * perRoi + j;
        float x = k[3 * at];
        float y = k[3 * at + 1];
        long cx = (long) Math.floor((x - offsetX) * scaleX);
        long cy = (long) Math.floor((y - offsetY) * scaleY);
        if (x == r[4 * i + 2]) {
          cx = size - 1;
        }
        if (y == r[4 * i + 3]) {
          cy = size - 1;
        }
        boolean inside = cx >= 0 && cy >= 0 && cx < size && cy < size;
        valid[at] = inside && k[3 * at + 2] > 0;
        cells[at] = valid[at] ? cy * size + cx : 0;
      }
    }
    return new Targets(cells, valid);
  }

  /**
   * torchvision's {@code keypointrcnn_loss}: the cross-entropy over the {@code S * S} cells of each
   * valid keypoint's predicted heatmap against its target cell, averaged over the valid keypoints
   * of the batch (0, still connected to the logits, when there are none).
   *
   * @param logits {@code [N, K, S, S]}: the positive RoIs of all images, in image order
   * @param proposals per image, its positive RoIs {@code [N_i, 4]}
   * @param groundTruth per image, its objects' keypoints {@code [G_i, K, 3]}
   * @param matched per image, the object each positive RoI is matched to
   */
  public static Tensor loss(
      Tensor logits, List<Tensor> proposals, List<Tensor> groundTruth, List<long[]> matched) {
    long[] s = logits.shape();
    if (s[2] != s[3]) {
      throw new IllegalArgumentException(
          "keypoint logits must be square, got " + s[2] + " x " + s[3]);
    }
    int size = (int) s[2];
    try (PointerScope scope = new PointerScope()) {
      long[] all = new long[(int) (s[0] * s[1])];
      long[] chosen = new long[all.length];
      int n = 0;
      int offset = 0;
      for (int i = 0; i < proposals.size(); i++) {
        long[] m = matched.get(i);
        Tensor kp = groundTruth.get(i).index_select(0, Torch.longs(m, m.length));
        Targets t = targets(kp, proposals.get(i), size);
        for (int j = 0; j < t.cells().length; j++) {
          all[offset + j] = t.cells()[j];
          if (t.valid()[j]) {
            chosen[n++] = offset + j;
          }
        }
        offset += t.cells().length;
      }
      if (n == 0) {
        return keep(logits.sum().mul(new Scalar(0.0)));
      }
      Tensor index = Torch.longs(java.util.Arrays.copyOf(chosen, n), n);
      Tensor rows = logits.reshape(s[0] * s[1], (long) size * size).index_select(0, index);
      Tensor targets = Torch.longs(all, all.length).index_select(0, index);
      return keep(torch.cross_entropy(rows, targets));
    }
  }

  /**
   * Keypoints read from heatmaps.
   *
   * @param keypoints {@code [R, K, 3]}: x, y in image pixels and 1
   * @param scores {@code [R, K]}: the resized heatmap's value at each keypoint
   */
  public record Decoded(Tensor keypoints, Tensor scores) implements AutoCloseable {
    @Override
    public void close() {
      keypoints.close();
      scores.close();
    }
  }

  /**
   * torchvision's {@code heatmaps_to_keypoints}: each RoI's heatmaps {@code [K, S, S]} resized
   * bicubically ({@code align_corners=False}) to the RoI's size rounded up (at least 1 x 1), each
   * keypoint at its map's first maximum, the cell's centre scaled back by size / rounded size and
   * moved to the RoI's corner.
   *
   * @param maps {@code [R, K, S, S]} logits
   * @param rois {@code [R, 4]}
   */
  public static Decoded decode(Tensor maps, Tensor rois) {
    int count = (int) maps.size(0);
    int k = (int) maps.size(1);
    float[] r = Torch.toFloats(rois);
    float[] xy = new float[count * k * 3];
    float[] scores = new float[count * k];
    try (PointerScope scope = new PointerScope()) {
      for (int i = 0; i < count; i++) {
        float width = Math.max(r[4 * i + 2] - r[4 * i], 1f);
        float height = Math.max(r[4 * i + 3] - r[4 * i + 1], 1f);
        int mapWidth = (int) Math.ceil(width);
        int mapHeight = (int) Math.ceil(height);
        float widthCorrection = width / mapWidth;
        float heightCorrection = height / mapHeight;
        Tensor roiMap =
            torch
                .upsample_bicubic2d(
                    maps.select(0, i).unsqueeze(1), new long[] {mapHeight, mapWidth}, false)
                .select(1, 0);
        long[] pos =
            Torch.toLongs(
                roiMap.reshape(k, -1).argmax(new org.bytedeco.pytorch.LongOptional(1), false));
        float[] values = Torch.toFloats(roiMap.contiguous());
        for (int j = 0; j < k; j++) {
          long xInt = pos[j] % mapWidth;
          long yInt = (pos[j] - xInt) / mapWidth;
          int at = i * k + j;
          xy[3 * at] = ((float) xInt + 0.5f) * widthCorrection + r[4 * i];
          xy[3 * at + 1] = ((float) yInt + 0.5f) * heightCorrection + r[4 * i + 1];
          xy[3 * at + 2] = 1f;
          scores[at] = values[(int) ((long) j * mapHeight * mapWidth + yInt * mapWidth + xInt)];
        }
      }
    }
    return new Decoded(Torch.floats(xy, count, k, 3), Torch.floats(scores, count, k));
  }

  /**
   * {@link #decode} in an exported graph: an ONNX {@code Loop} over the RoIs, each RoI's heatmaps
   * resized by {@code Resize} cubic ({@code cubic_coeff_a} -0.75, half-pixel coordinates: PyTorch's
   * bicubic with {@code align_corners=False}) to its size rounded up, read at each map's first
   * maximum with the arithmetic of {@link #decode}.
   *
   * @param maps the heatmap logits {@code [R, K, S, S]}
   * @param rois the RoIs {@code [R, 4]}
   * @return the keypoints {@code [R, K, 3]} ({@code x, y, 1}) and their scores {@code [R, K]}
   */
  public static String[] export(GraphContext ctx, String maps, String rois) {
    OnnxGraph g = ctx.graph();
    String count = g.squeeze(g.dim(rois, 0), 0);
    String keypoints = g.dim(maps, 1);
    String[] stacked =
        g.loop(
            count,
            new int[] {OnnxGraph.FLOAT, OnnxGraph.FLOAT},
            i -> {
              String map = g.gather(maps, i, 0);
              String roi = g.gather(rois, i, 0);
              String x1 = g.slice(roi, 0, 0, 1);
              String y1 = g.slice(roi, 0, 1, 2);
              String width = g.max(g.sub(g.slice(roi, 0, 2, 3), x1), g.scalar(1f));
              String height = g.max(g.sub(g.slice(roi, 0, 3, 4), y1), g.scalar(1f));
              String mapWidth = g.cast(g.op("Ceil", width), OnnxGraph.INT64);
              String mapHeight = g.cast(g.op("Ceil", height), OnnxGraph.INT64);
              String resized =
                  g.op(
                      "Resize",
                      List.of(
                          g.unsqueeze(map, 0),
                          "",
                          "",
                          g.concat(0, g.vector(1L), keypoints, mapHeight, mapWidth)),
                      OnnxGraph.attr("mode", "cubic"),
                      OnnxGraph.attr("cubic_coeff_a", -0.75f),
                      OnnxGraph.attr("coordinate_transformation_mode", "half_pixel"));
              String flat = g.reshape(resized, g.concat(0, keypoints, g.vector(-1L)));
              String position =
                  g.op("ArgMax", flat, OnnxGraph.attr("axis", 1L), OnnxGraph.attr("keepdims", 1L));
              String score =
                  g.squeeze(
                      g.op("GatherElements", List.of(flat, position), OnnxGraph.attr("axis", 1L)),
                      1);
              String xInt = g.op("Mod", List.of(position, mapWidth));
              String yInt = g.div(g.sub(position, xInt), mapWidth);
              String half = g.scalar(0.5f);
              String x =
                  g.add(
                      g.mul(
                          g.add(g.cast(xInt, OnnxGraph.FLOAT), half),
                          g.div(width, g.cast(mapWidth, OnnxGraph.FLOAT))),
                      x1);
              String y =
                  g.add(
                      g.mul(
                          g.add(g.cast(yInt, OnnxGraph.FLOAT), half),
                          g.div(height, g.cast(mapHeight, OnnxGraph.FLOAT))),
                      y1);
              String ones = g.op("Expand", List.of(g.scalar(1f), g.shape(x, 0, 2)));
              return new String[] {g.concat(1, x, y, ones), score};
            });
    // shaped explicitly: a loop of no iteration gives outputs of no known shape
    return new String[] {
      g.reshape(stacked[0], g.concat(0, g.vector(-1L), keypoints, g.vector(3L))),
      g.reshape(stacked[1], g.concat(0, g.vector(-1L), keypoints))
    };
  }
}
