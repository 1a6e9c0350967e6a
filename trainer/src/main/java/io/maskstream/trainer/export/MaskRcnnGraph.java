package io.maskstream.trainer.export;

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
 * pasted at the image's own size; with a keypoint head, the keypoints read from its heatmaps.
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
 * <p>Every part writes itself, from its own modules and settings: the input transform ({@link
 * InputTransform#export}), the backbone ({@link io.maskstream.trainer.model.Backbone#export}), the
 * region proposal network ({@link RegionProposalNetwork#export}), the second stage ({@link
 * RoiHeads#export}, {@link RoiHeads#exportMasks}, {@link RoiHeads#exportKeypoints}) and the output
 * side ({@link InputTransform#exportPostprocess}); this class only connects them, in scopes named
 * after the stages, and names the intermediate tensors worth checking. Not thread-safe; one
 * instance writes one graph.
 */
final class MaskRcnnGraph {
  private final GraphContext ctx;
  private final OnnxGraph g;
  private final MaskRcnn model;
  private final Map<String, String> debug = new LinkedHashMap<>();

  /** A graph of {@code model} written into {@code ctx} by its components. */
  MaskRcnnGraph(GraphContext ctx, MaskRcnn model) {
    this.ctx = ctx;
    this.g = ctx.graph();
    this.model = model;
  }

  /**
   * Intermediate tensors worth checking on their own, by name: {@code features.0} .. {@code
   * features.4}, {@code objectness.0} .. {@code objectness.4} (the RPN's logits per level in anchor
   * order), {@code proposals}, {@code detections.resized}.
   */
  Map<String, String> debugTensors() {
    return debug;
  }

  /**
   * The outputs of the graph on {@code image [3, H, W]}; masks, keypoints and their scores null for
   * a model without those branches.
   */
  record Outputs(
      String boxes,
      String labels,
      String scores,
      String masks,
      String keypoints,
      String keypointScores) {}

  Outputs build(String image) {
    g.scope("transform");
    InputTransform.Exported input = model.transform().export(ctx, image);
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
    RoiHeads heads = model.roiHeads();
    String masks = null;
    if (heads.hasMasks()) {
      g.scope("mask");
      masks = heads.exportMasks(ctx, "roi_heads", features, detections, input);
    }
    String[] keypoints = {null, null};
    if (heads.keypoints() > 0) {
      g.scope("keypoints");
      keypoints = heads.exportKeypoints(ctx, "roi_heads", features, detections, input);
    }
    g.scope("paste");
    InputTransform.Restored restored =
        InputTransform.exportPostprocess(
            ctx,
            input,
            detections.boxes(),
            masks,
            heads.hasMasks() ? heads.maskSize() : 0,
            keypoints[0]);
    g.scope("");
    return new Outputs(
        restored.boxes(),
        detections.labels(),
        detections.scores(),
        restored.masks(),
        restored.keypoints(),
        keypoints[1]);
  }
}
