package io.maskstream.trainer.model;

import static io.maskstream.trainer.export.OnnxGraph.FLOAT;
import static io.maskstream.trainer.export.OnnxGraph.INT64;
import static io.maskstream.trainer.export.OnnxGraph.attr;

import io.maskstream.trainer.engine.Torch;
import io.maskstream.trainer.export.BoxGraph;
import io.maskstream.trainer.export.GraphContext;
import io.maskstream.trainer.export.OnnxGraph;
import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * Puts each detection's {@code M x M} mask into a full-image canvas as torchvision's {@code
 * paste_masks_in_image}, with the paste the detector uses ({@link
 * io.maskstream.schemas.masks.MaskPaster}): the mask padded by one pixel on each side, the box
 * scaled by {@code (M + 2) / M} about its centre and truncated to integers, the padded mask resized
 * bilinearly ({@code align_corners=False}) to {@code (y2 - y1 + 1) x (x2 - x1 + 1)} and copied in,
 * clipped to the image. Stateless; results are new tensors owned by the caller.
 */
public final class MaskPaster {
  private MaskPaster() {}

  /**
   * Full-image masks {@code [K, 1, height, width]} of masks {@code [K, 1, M, M]} in boxes {@code
   * [K, 4]}.
   */
  public static Tensor paste(Tensor masks, Tensor boxes, int height, int width) {
    int k = (int) masks.size(0);
    int m = (int) masks.size(2);
    float[] small = Torch.toFloats(masks);
    float[] b = Torch.toFloats(boxes);
    int plane = height * width;
    float[] canvas = new float[Math.multiplyExact(k, plane)];
    for (int i = 0; i < k; i++) {
      io.maskstream.schemas.masks.MaskPaster.paste(
          small, i * m * m, m, b, 4 * i, height, width, canvas, i * plane);
    }
    return Torch.floats(canvas, k, 1, height, width);
  }

  /**
   * {@link #paste} in an exported graph (torchvision's {@code paste_masks_in_image}): masks {@code
   * [D, 1, M, M]} in boxes {@code [D, 4]} pasted into {@code [D, 1, H, W]}, as two matrix products
   * per mask: the padded {@code (M + 2)^2} mask between the bilinear weights of the rows and of the
   * columns of its integer paste rectangle. Each weight is the triangle {@code max(0, 1 - |src -
   * j|)} at the source coordinate of align_corners=False; it differs from the resize kernel's
   * clamped weights only on the padded border, which is zero, so the result is the resize's.
   *
   * @param m the masks' side M
   * @param imageH the image's height H, an int64 vector of one element
   * @param imageW the image's width W, likewise
   */
  public static String export(
      GraphContext ctx, String masks, int m, String boxes, String imageH, String imageW) {
    OnnxGraph g = ctx.graph();
    int side = m + 2;
    String padded =
        g.squeeze(
            g.op(
                "Pad",
                List.of(masks, g.vector(0, 0, 1, 1, 0, 0, 1, 1), g.scalar(0f)),
                attr("mode", "constant")),
            1);
    float scale = (float) ((double) side / m);
    String half = g.scalar(0.5f);
    String x1 = BoxGraph.column(g, boxes, 0);
    String y1 = BoxGraph.column(g, boxes, 1);
    String x2 = BoxGraph.column(g, boxes, 2);
    String y2 = BoxGraph.column(g, boxes, 3);
    String halfW = g.mul(g.mul(g.sub(x2, x1), half), g.scalar(scale));
    String halfH = g.mul(g.mul(g.sub(y2, y1), half), g.scalar(scale));
    String cx = g.mul(g.add(x2, x1), half);
    String cy = g.mul(g.add(y2, y1), half);
    // truncation towards zero, as the (long) casts of the paste
    String left = g.cast(g.sub(cx, halfW), INT64);
    String right = g.cast(g.add(cx, halfW), INT64);
    String top = g.cast(g.sub(cy, halfH), INT64);
    String bottom = g.cast(g.add(cy, halfH), INT64);
    String one = g.scalar(1L);
    String width = g.max(g.add(g.sub(right, left), one), one);
    String height = g.max(g.add(g.sub(bottom, top), one), one);
    String rows = interpolation(g, imageH, top, height, side);
    String columns = interpolation(g, imageW, left, width, side);
    String pasted =
        g.op(
            "MatMul",
            List.of(g.op("MatMul", List.of(rows, padded)), g.transpose(columns, 0, 2, 1)));
    return g.unsqueeze(pasted, 1);
  }

  /**
   * The weights {@code [D, size, side]} with which each image row (or column) of a paste rectangle
   * starting at {@code start} and {@code length} long reads the {@code side}-long padded mask; rows
   * outside the rectangle read nothing.
   */
  private static String interpolation(
      OnnxGraph g, String size, String start, String length, int side) {
    String d = g.sub(g.unsqueeze(BoxGraph.range(g, size), 0), g.unsqueeze(start, 1));
    String inside =
        g.op(
            "And",
            List.of(
                g.op("GreaterOrEqual", List.of(d, g.scalar(0L))),
                g.op("Less", List.of(d, g.unsqueeze(length, 1)))));
    // the resize's source coordinate: max(scale * (dst + 0.5) - 0.5, 0), scale = side / length
    String scale = g.div(g.scalar((float) side), g.cast(length, FLOAT));
    String half = g.scalar(0.5f);
    String source =
        g.max(
            g.sub(g.mul(g.add(g.cast(d, FLOAT), half), g.unsqueeze(scale, 1)), half), g.scalar(0f));
    float[] taps = new float[side];
    for (int j = 0; j < side; j++) {
      taps[j] = j;
    }
    String distance = g.op("Abs", g.sub(g.unsqueeze(source, 2), g.vector(taps)));
    String triangle = g.max(g.sub(g.scalar(1f), distance), g.scalar(0f));
    return g.op("Where", List.of(g.unsqueeze(inside, 2), triangle, g.scalar(0f)));
  }
}
