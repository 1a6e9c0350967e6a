package io.maskstream.trainer.export;

import static io.maskstream.trainer.export.OnnxGraph.FLOAT;
import static io.maskstream.trainer.export.OnnxGraph.INT64;
import static io.maskstream.trainer.export.OnnxGraph.attr;

import io.maskstream.trainer.export.GraphContext.Weight;
import io.maskstream.trainer.model.InputTransform;
import io.maskstream.trainer.model.MaskRcnn;
import io.maskstream.trainer.model.RegionProposalNetwork;
import io.maskstream.trainer.model.RoiHeads;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The evaluation forward of {@link io.maskstream.trainer.model.MaskRcnn} for one image as an ONNX
 * graph, step for step as {@code MaskRcnn.detect} computes it (and so as torchvision's {@code
 * MaskRCNN} in eval mode): normalisation, resize, padding, backbone with the normalisation folded
 * into the convolutions, feature pyramid, RPN with anchors made from the dynamic feature sizes,
 * proposal filtering, multi-scale RoIAlign, box head and its post-processing, mask head, and masks
 * pasted at the image's own size.
 *
 * <p>Where the Java model makes a discrete decision (which boxes survive NMS, in which order, which
 * pyramid level a box is pooled from), the graph makes it with the same float32 arithmetic and the
 * same tie rules, so that both give the same detections and not merely similar ones:
 *
 * <ul>
 *   <li>NMS runs per category (pyramid level, class) in ONNX Runtime's {@code NonMaxSuppression},
 *       whose IoU is computed as the Java one; boxes enter it already sorted (descending score,
 *       lower index first on ties, as a stable sort) with their rank as the score, so that the
 *       order in which boxes suppress each other is the Java one even for equal scores.
 *   <li>Like torchvision's {@code batched_nms} (and {@code Nms.batchedKeep}), categories are
 *       separated by offsetting the boxes when there are at most 1000 of them, which changes the
 *       float IoU slightly, and not otherwise.
 *   <li>Thresholds given as doubles in the Java code are compared with the float32 value that gives
 *       the same answer for every float.
 * </ul>
 *
 * <p>The input transform, the backbone and the region proposal network write themselves, from their
 * own modules and settings ({@link InputTransform#export}, {@link
 * io.maskstream.trainer.model.Backbone#export}, {@link RegionProposalNetwork#export}) and the
 * second stage ({@link RoiHeads#export}, {@link RoiHeads#exportMasks}). Not thread-safe; one
 * instance writes one graph.
 */
final class MaskRcnnGraph {
  private final GraphContext ctx;
  private final OnnxGraph g;
  private final MaskRcnn model;
  private final Map<String, Weight> weights;
  private final Map<String, String> debug = new LinkedHashMap<>();

  private String imageH;
  private String imageW;
  private String resizedH;
  private String resizedW;

  /**
   * A graph of {@code model} written into {@code ctx}: by the components that export themselves,
   * and the rest from the model's {@code weights} by state-dict name.
   */
  MaskRcnnGraph(GraphContext ctx, MaskRcnn model, Map<String, Weight> weights) {
    this.ctx = ctx;
    this.g = ctx.graph();
    this.model = model;
    this.weights = weights;
  }

  /**
   * Intermediate tensors worth checking on their own, by name: {@code features.0} .. {@code
   * features.4}, {@code objectness.0} .. {@code objectness.4} (the RPN's logits per level in anchor
   * order), {@code proposals}, {@code detections.resized}.
   */
  Map<String, String> debugTensors() {
    return debug;
  }

  /** The outputs of the graph on {@code image [3, H, W]}. */
  record Outputs(String boxes, String labels, String scores, String masks) {}

  Outputs build(String image) {
    g.scope("transform");
    InputTransform.Exported input = model.transform().export(ctx, image);
    imageH = input.height();
    imageW = input.width();
    resizedH = input.resizedHeight();
    resizedW = input.resizedWidth();
    String batch = input.batch();
    g.scope("backbone");
    List<String> features = model.backbone().export(ctx, "backbone", batch);
    for (int i = 0; i < features.size(); i++) {
      debug.put("features." + i, features.get(i));
    }
    g.scope("rpn");
    RegionProposalNetwork.Exported rpn = model.rpn().export(ctx, "rpn", features, input);
    for (int i = 0; i < rpn.objectness().size(); i++) {
      debug.put("objectness." + i, rpn.objectness().get(i));
    }
    String proposals = rpn.proposals();
    debug.put("proposals", proposals);
    g.scope("roi_heads");
    RoiHeads.Exported detections =
        model.roiHeads().export(ctx, "roi_heads", features, proposals, input);
    debug.put("detections.resized", detections.boxes());
    g.scope("mask");
    String masks = model.roiHeads().exportMasks(ctx, "roi_heads", features, detections, input);
    g.scope("paste");
    String boxes = originalBoxes(detections.boxes());
    String pasted = paste(masks, boxes);
    g.scope("");
    return new Outputs(boxes, detections.labels(), detections.scores(), pasted);
  }

  // ---------------------------------------------------------------- back to the image

  /** Boxes of the resized image in the original image: x by W / w, y by H / h, in float32. */
  private String originalBoxes(String boxes) {
    String rh = g.div(g.cast(imageH, FLOAT), g.cast(resizedH, FLOAT));
    String rw = g.div(g.cast(imageW, FLOAT), g.cast(resizedW, FLOAT));
    return g.mul(boxes, g.concat(0, rw, rh, rw, rh));
  }

  /**
   * MaskPaster (torchvision's {@code paste_masks_in_image}) as two matrix products per mask: the
   * padded {@code (M + 2)^2} mask between the bilinear weights of the rows and of the columns of
   * its integer paste rectangle. Each weight is the triangle {@code max(0, 1 - |src - j|)} at the
   * source coordinate of align_corners=False; it differs from the resize kernel's clamped weights
   * only on the padded border, which is zero, so the result is the resize's.
   */
  private String paste(String masks, String boxes) {
    int m = model.roiHeads().maskSize();
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
    String x1 = column(boxes, 0);
    String y1 = column(boxes, 1);
    String x2 = column(boxes, 2);
    String y2 = column(boxes, 3);
    String halfW = g.mul(g.mul(g.sub(x2, x1), half), g.scalar(scale));
    String halfH = g.mul(g.mul(g.sub(y2, y1), half), g.scalar(scale));
    String cx = g.mul(g.add(x2, x1), half);
    String cy = g.mul(g.add(y2, y1), half);
    // truncation towards zero, as the (long) casts of MaskPaster
    String left = g.cast(g.sub(cx, halfW), INT64);
    String right = g.cast(g.add(cx, halfW), INT64);
    String top = g.cast(g.sub(cy, halfH), INT64);
    String bottom = g.cast(g.add(cy, halfH), INT64);
    String one = g.scalar(1L);
    String width = g.max(g.add(g.sub(right, left), one), one);
    String height = g.max(g.add(g.sub(bottom, top), one), one);
    String rows = interpolation(imageH, top, height, side);
    String columns = interpolation(imageW, left, width, side);
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
  private String interpolation(String size, String start, String length, int side) {
    String d = g.sub(g.unsqueeze(range(size), 0), g.unsqueeze(start, 1));
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

  // ---------------------------------------------------------------- box arithmetic

  /** The smallest float at least {@code v}: for a float x, {@code x < v} iff {@code x < it}. */
  static float floatAtLeast(double v) {
    return BoxGraph.floatAtLeast(v);
  }

  /** The largest float at most {@code v}: for a float x, {@code x > v} iff {@code x > it}. */
  static float floatBelow(double v) {
    return BoxGraph.floatBelow(v);
  }

  private String column(String boxes, long i) {
    return BoxGraph.column(g, boxes, i);
  }

  private String range(String n) {
    return BoxGraph.range(g, n);
  }
}
