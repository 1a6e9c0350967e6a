package io.maskstream.trainer.model;

import io.maskstream.trainer.engine.Module;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Mask R-CNN as torchvision's {@code MaskRCNN}: backbone with feature pyramid, region proposal
 * network, and box and mask heads, with torchvision's parameter names ({@code backbone.*}, {@code
 * rpn.*}, {@code roi_heads.*}) so that weights move between the two by name. With a keypoint branch
 * (and with or without the mask branch) it is torchvision's {@code KeypointRCNN}'s network.
 *
 * <p>{@link #detect(List)} takes images at their own size and returns detections at that size,
 * through the model's {@link InputTransform}; {@link #detectBatch} and {@link #losses} work on
 * batches the transform already prepared. Owns its parameters; the detections and losses it returns
 * are the caller's. Not thread-safe.
 */
// each PointerScope releases the temporaries created inside it without naming them
@SuppressWarnings("try")
public final class MaskRcnn extends Module {
  private final Backbone backbone;
  private final RegionProposalNetwork rpn;
  private final RoiHeads roiHeads;

  /** The {@code tiny} preset's input: short side 256, long side at most 512. */
  public static final InputTransform TINY_INPUT = new InputTransform(256, 512);

  /** torchvision's input for its ResNet FPN models: short side 800, long side at most 1333. */
  public static final InputTransform FPN_INPUT = new InputTransform(800, 1333);

  private final InputTransform transform;

  /**
   * The branches of the second stage beside the box head.
   *
   * @param masks whether it predicts masks
   * @param keypoints the keypoints per object it predicts (0: no keypoint branch)
   */
  public record Branches(boolean masks, int keypoints) {
    /** Mask R-CNN's: masks, no keypoints. */
    public static final Branches MASKS = new Branches(true, 0);

    /** Checks that there is a branch count to speak of. */
    public Branches {
      if (keypoints < 0) {
        throw new IllegalArgumentException(keypoints + " keypoints");
      }
    }

    long[] maskWidths(long width, int count) {
      return masks ? widths(width, count) : new long[0];
    }

    long[] keypointWidths(long width, int count) {
      return keypoints > 0 ? widths(width, count) : new long[0];
    }

    private static long[] widths(long width, int count) {
      long[] out = new long[count];
      java.util.Arrays.fill(out, width);
      return out;
    }
  }

  /**
   * A model on {@code backbone} for {@code numClasses} classes (background included).
   *
   * @param representation the box head's width
   * @param maskWidths the mask head's convolution widths
   * @param options the second stage's settings
   * @param transform the input resizing and output rescaling
   */
  public MaskRcnn(
      SplittableRandom random,
      Backbone backbone,
      long numClasses,
      long representation,
      long[] maskWidths,
      RoiHeads.Options options,
      InputTransform transform) {
    this(
        random,
        backbone,
        numClasses,
        representation,
        maskWidths,
        new long[0],
        0,
        options,
        transform);
  }

  /**
   * A model on {@code backbone} for {@code numClasses} classes (background included), with the
   * branches whose widths are given.
   *
   * @param representation the box head's width
   * @param maskWidths the mask head's convolution widths (none: no mask branch)
   * @param keypointWidths the keypoint head's convolution widths (none: no keypoint branch)
   * @param keypoints the keypoints per object, with {@code keypointWidths}
   * @param options the second stage's settings
   * @param transform the input resizing and output rescaling
   */
  public MaskRcnn(
      SplittableRandom random,
      Backbone backbone,
      long numClasses,
      long representation,
      long[] maskWidths,
      long[] keypointWidths,
      int keypoints,
      RoiHeads.Options options,
      InputTransform transform) {
    this.transform = transform;
    this.backbone = registerModule("backbone", backbone);
    this.rpn =
        registerModule(
            "rpn",
            new RegionProposalNetwork(
                random, backbone.channels(), new int[] {2000, 1000}, new int[] {2000, 1000}));
    this.roiHeads =
        registerModule(
            "roi_heads",
            new RoiHeads(
                random,
                backbone.channels(),
                numClasses,
                representation,
                maskWidths,
                keypointWidths,
                keypoints,
                options));
  }

  /** The {@code tiny} preset: 64-channel pyramid, FC 256 box head, two 64-wide mask convs. */
  public static MaskRcnn tiny(SplittableRandom random, long numClasses) {
    return tiny(random, numClasses, TINY_INPUT);
  }

  /** The same network with another input transform (e.g. for {@code train --min-size}). */
  public static MaskRcnn tiny(SplittableRandom random, long numClasses, InputTransform transform) {
    return tiny(random, numClasses, transform, Branches.MASKS);
  }

  /**
   * The {@code tiny} network with the given branches: two 64-wide mask convolutions, four 64-wide
   * keypoint convolutions.
   */
  public static MaskRcnn tiny(
      SplittableRandom random, long numClasses, InputTransform transform, Branches branches) {
    return new MaskRcnn(
        random,
        Backbone.tiny(random),
        numClasses,
        256,
        branches.maskWidths(64, 2),
        branches.keypointWidths(64, 4),
        branches.keypoints(),
        RoiHeads.Options.torchvision(128),
        transform);
  }

  /** The {@code r18-fpn} preset: torchvision's Mask R-CNN heads on a ResNet-18 FPN. */
  public static MaskRcnn resnet18Fpn(SplittableRandom random, long numClasses) {
    return resnet18Fpn(random, numClasses, FPN_INPUT);
  }

  /** The same network with another input transform (e.g. for {@code train --min-size}). */
  public static MaskRcnn resnet18Fpn(
      SplittableRandom random, long numClasses, InputTransform transform) {
    return resnet18Fpn(random, numClasses, transform, Branches.MASKS);
  }

  /**
   * The {@code r18-fpn} network with the given branches: torchvision's mask head (four 256-wide
   * convolutions) and keypoint head (eight 512-wide convolutions).
   */
  public static MaskRcnn resnet18Fpn(
      SplittableRandom random, long numClasses, InputTransform transform, Branches branches) {
    return new MaskRcnn(
        random,
        Backbone.resnet18Fpn(random),
        numClasses,
        1024,
        branches.maskWidths(256, 4),
        branches.keypointWidths(512, 8),
        branches.keypoints(),
        RoiHeads.Options.torchvision(512),
        transform);
  }

  /**
   * The {@code r50-fpn} preset: torchvision's {@code maskrcnn_resnet50_fpn}, its heads on a
   * ResNet-50 FPN.
   */
  public static MaskRcnn resnet50Fpn(SplittableRandom random, long numClasses) {
    return resnet50Fpn(random, numClasses, FPN_INPUT);
  }

  /** The same network with another input transform (e.g. for {@code train --min-size}). */
  public static MaskRcnn resnet50Fpn(
      SplittableRandom random, long numClasses, InputTransform transform) {
    return resnet50Fpn(random, numClasses, transform, Branches.MASKS);
  }

  /**
   * The {@code r50-fpn} network with the given branches: without masks and with 17 keypoints it is
   * torchvision's {@code keypointrcnn_resnet50_fpn} (eight 512-wide keypoint convolutions).
   */
  public static MaskRcnn resnet50Fpn(
      SplittableRandom random, long numClasses, InputTransform transform, Branches branches) {
    return new MaskRcnn(
        random,
        Backbone.resnet50Fpn(random),
        numClasses,
        1024,
        branches.maskWidths(256, 4),
        branches.keypointWidths(512, 8),
        branches.keypoints(),
        RoiHeads.Options.torchvision(512),
        transform);
  }

  /** The branches of the second stage beside the box head. */
  public Branches branches() {
    return new Branches(roiHeads.hasMasks(), roiHeads.keypoints());
  }

  /** The backbone with its feature pyramid. */
  public Backbone backbone() {
    return backbone;
  }

  /** The region proposal network. */
  public RegionProposalNetwork rpn() {
    return rpn;
  }

  /** The input resizing and output rescaling. */
  public InputTransform transform() {
    return transform;
  }

  /** The second stage: box and mask heads on the RoIs pooled from the pyramid. */
  public RoiHeads roiHeads() {
    return roiHeads;
  }

  /** The second stage's settings: score and NMS thresholds, detections per image. */
  public RoiHeads.Options detectionOptions() {
    return roiHeads.options();
  }

  /**
   * The detections of RGB images {@code [3, H_i, W_i]} in [0, 1] of any sizes, with boxes in each
   * image's pixels and masks pasted at each image's size ({@code [K, 1, H_i, W_i]} probabilities).
   */
  public List<Detections> detect(List<Tensor> images) {
    List<Detections> out = new ArrayList<>();
    try (InputTransform.Batch batch = transform.batch(images)) {
      List<Detections> found = detectResized(batch.images(), batch.sizes());
      for (int i = 0; i < found.size(); i++) {
        out.add(
            InputTransform.postprocess(
                found.get(i), batch.sizes().get(i), batch.originalSizes().get(i)));
      }
    }
    return out;
  }

  /**
   * {@code (image - mean) / std} per channel of RGB images {@code [.., 3, H, W]} in [0, 1], with
   * the default transforms' ImageNet statistics ({@link InputTransform#normalize}).
   */
  public static Tensor normalize(Tensor images) {
    return FPN_INPUT.normalize(images);
  }

  /**
   * The images {@code [3, H_i, W_i]} in one zero-padded batch {@code [B, 3, H, W]}, H and W the
   * largest sizes rounded up to the default transforms' multiple of 32 ({@link
   * InputTransform#pad}).
   */
  public static Tensor batch(List<Tensor> images) {
    return FPN_INPUT.pad(images);
  }

  /**
   * The detections of each image of a normalised, padded batch, with masks pasted at each image's
   * size ({@code [K, 1, H_i, W_i]} probabilities).
   *
   * @param imageSizes per image, {@code {height, width}} before padding
   */
  public List<Detections> detectBatch(Tensor batch, List<int[]> imageSizes) {
    List<Detections> out = new ArrayList<>();
    for (Detections d : detectResized(batch, imageSizes)) {
      int[] size = imageSizes.get(out.size());
      if (d.masks() == null) {
        out.add(d);
        continue;
      }
      try (Tensor masks = d.masks()) {
        out.add(d.withMasks(MaskPaster.paste(masks, d.boxes(), size[0], size[1])));
      }
    }
    return out;
  }

  /** Detections with {@code M x M} masks in their boxes, in the batch's pixels. */
  private List<Detections> detectResized(Tensor batch, List<int[]> imageSizes) {
    List<Detections> out = new ArrayList<>();
    try (PointerScope scope = new PointerScope()) {
      List<Tensor> levels = features(batch);
      RegionProposalNetwork.Result proposals =
          rpn.forward(levels, (int) batch.size(2), (int) batch.size(3), imageSizes, null, null);
      List<Tensor> boxes = new ArrayList<>();
      proposals.proposals().forEach(p -> boxes.add(p.boxes()));
      out.addAll(roiHeads.detect(levels, boxes, imageSizes));
      proposals.proposals().forEach(Proposals::close);
      levels.forEach(Tensor::close);
    }
    return out;
  }

  /**
   * The pyramid levels of a batch, computed in channels-last memory format: oneDNN's convolutions
   * then run without reordering every input and output (about a quarter off the backbone's forward
   * and a tenth off the backward on the CPU), the levels come out channels-last, and RoIAlign reads
   * them as rows of channels without a copy. The values are the same in either format.
   */
  private List<Tensor> features(Tensor batch) {
    try (Tensor channelsLast = batch.contiguous(torch.MemoryFormat.ChannelsLast)) {
      return backbone.forward(channelsLast);
    }
  }

  /**
   * The training losses ({@code loss_objectness}, {@code loss_rpn_box_reg}, {@code
   * loss_classifier}, {@code loss_box_reg}, and {@code loss_mask} and {@code loss_keypoint} for the
   * branches the model has) of a normalised, padded batch.
   *
   * @param random the anchor and RoI samplers' random source
   */
  public Map<String, Tensor> losses(
      Tensor batch, List<int[]> imageSizes, List<GroundTruth> targets, SplittableRandom random) {
    return losses(batch, imageSizes, targets, random, StageTimes.off());
  }

  /**
   * {@link #losses(Tensor, List, List, SplittableRandom)}, charging the time of each stage
   * (backbone, RPN, then the RoI heads' stages) to {@code times}, from its current mark.
   */
  public Map<String, Tensor> losses(
      Tensor batch,
      List<int[]> imageSizes,
      List<GroundTruth> targets,
      SplittableRandom random,
      StageTimes times) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    try (PointerScope scope = new PointerScope()) {
      List<Tensor> levels = features(batch);
      times.lap("backbone");
      List<Tensor> gtBoxes = new ArrayList<>();
      targets.forEach(t -> gtBoxes.add(t.boxes()));
      RegionProposalNetwork.Result proposals =
          rpn.forward(
              levels, (int) batch.size(2), (int) batch.size(3), imageSizes, gtBoxes, random);
      times.lap("rpn");
      // the losses are the caller's; the proposals are released here
      out.putAll(proposals.losses());
      List<Tensor> boxes = new ArrayList<>();
      proposals.proposals().forEach(p -> boxes.add(p.boxes()));
      out.putAll(
          roiHeads.losses(
              levels,
              boxes,
              imageSizes,
              targets,
              labels -> roiHeads.sample(labels, random),
              times));
      proposals.proposals().forEach(Proposals::close);
      levels.forEach(Tensor::close);
    }
    return out;
  }
}
