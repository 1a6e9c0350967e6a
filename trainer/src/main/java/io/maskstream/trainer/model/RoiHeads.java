package io.maskstream.trainer.model;

import static io.maskstream.trainer.export.OnnxGraph.attr;
import static io.maskstream.trainer.model.BoxOps.adopt;
import static io.maskstream.trainer.model.BoxOps.keep;

import io.maskstream.trainer.engine.Module;
import io.maskstream.trainer.engine.Torch;
import io.maskstream.trainer.export.BoxGraph;
import io.maskstream.trainer.export.GraphContext;
import io.maskstream.trainer.export.OnnxGraph;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * The second stage of Mask R-CNN as torchvision's {@code RoIHeads}: box, mask and keypoint branches
 * on the RoIs pooled from the pyramid (the mask and keypoint branches each optional, as in
 * torchvision's Mask R-CNN and Keypoint R-CNN).
 *
 * <p>Training: the ground-truth boxes join each image's proposals, proposals are matched to ground
 * truth at IoU 0.5 (no low-quality matches), a balanced sample is drawn, and the classification,
 * box, mask and keypoint losses are computed on it (masks and keypoints on the positive RoIs).
 * Inference: softmax, per-class decoding, clipping, background dropped, scores above the threshold,
 * tiny boxes dropped, per-class NMS, the best {@code detectionsPerImage}; each detection's mask is
 * the sigmoid of its class's logits, its keypoints the maxima of its heatmaps ({@link
 * KeypointHeatmaps#decode}).
 *
 * <p>Parameter names follow torchvision ({@code box_head.fc6.weight}, {@code
 * mask_predictor.conv5_mask.weight}, {@code keypoint_head.0.weight}, ...). Owns its parameters;
 * results are the caller's.
 */
// each PointerScope releases the temporaries created inside it without naming them
@SuppressWarnings("try")
public final class RoiHeads extends Module {
  private static final double MIN_DETECTION_SIZE = 1e-2;
  private static final int MASK_SIZE_FACTOR = 2;

  private final Options options;
  private final long numClasses;
  private final MultiScaleRoiAlign boxPool;
  private final TwoMlpHead boxHead;
  private final FastRcnnPredictor boxPredictor;
  // the mask branch, or all null
  private final MultiScaleRoiAlign maskPool;
  private final MaskHead maskHead;
  private final MaskPredictor maskPredictor;
  // the keypoint branch, or all null
  private final MultiScaleRoiAlign keypointPool;
  private final KeypointHead keypointHead;
  private final KeypointPredictor keypointPredictor;
  private final Matcher matcher = new Matcher(0.5, 0.5, false);
  private final BoxCoder coder = new BoxCoder(10, 10, 5, 5);
  private final BalancedSampler sampler;

  /**
   * The heads for {@code channels}-channel pyramid features and {@code numClasses} classes
   * (background included).
   *
   * @param representation the width of the box head's two fully connected layers
   * @param maskWidths the widths of the mask head's 3x3 convolutions; the last one is also the
   *     transposed convolution's
   */
  public RoiHeads(
      SplittableRandom random,
      long channels,
      long numClasses,
      long representation,
      long[] maskWidths,
      Options options) {
    this(random, channels, numClasses, representation, maskWidths, new long[0], 0, options);
  }

  /**
   * The heads for {@code channels}-channel pyramid features and {@code numClasses} classes
   * (background included), with the branches whose widths are given.
   *
   * @param representation the width of the box head's two fully connected layers
   * @param maskWidths the widths of the mask head's 3x3 convolutions, the last one also the
   *     transposed convolution's; none: no mask branch
   * @param keypointWidths the widths of the keypoint head's 3x3 convolutions; none: no keypoint
   *     branch
   * @param keypoints the keypoints per object (with {@code keypointWidths})
   */
  public RoiHeads(
      SplittableRandom random,
      long channels,
      long numClasses,
      long representation,
      long[] maskWidths,
      long[] keypointWidths,
      int keypoints,
      Options options) {
    if ((keypointWidths.length == 0) != (keypoints == 0) || keypoints < 0) {
      throw new IllegalArgumentException(
          keypointWidths.length + " keypoint convolutions for " + keypoints + " keypoints");
    }
    this.options = options;
    this.numClasses = numClasses;
    this.boxPool = new MultiScaleRoiAlign(7, 2);
    this.boxHead =
        registerModule("box_head", new TwoMlpHead(random, channels * 7 * 7, representation));
    this.boxPredictor =
        registerModule("box_predictor", new FastRcnnPredictor(random, representation, numClasses));
    if (maskWidths.length > 0) {
      this.maskPool = new MultiScaleRoiAlign(14, 2);
      this.maskHead = registerModule("mask_head", new MaskHead(random, channels, maskWidths));
      long last = maskWidths[maskWidths.length - 1];
      this.maskPredictor =
          registerModule("mask_predictor", new MaskPredictor(random, last, last, numClasses));
    } else {
      this.maskPool = null;
      this.maskHead = null;
      this.maskPredictor = null;
    }
    if (keypoints > 0) {
      this.keypointPool = new MultiScaleRoiAlign(14, 2);
      this.keypointHead =
          registerModule("keypoint_head", new KeypointHead(random, channels, keypointWidths));
      this.keypointPredictor =
          registerModule(
              "keypoint_predictor",
              new KeypointPredictor(random, keypointWidths[keypointWidths.length - 1], keypoints));
    } else {
      this.keypointPool = null;
      this.keypointHead = null;
      this.keypointPredictor = null;
    }
    this.sampler = new BalancedSampler(options.batchSizePerImage(), options.positiveFraction());
  }

  /** Whether the second stage predicts masks. */
  public boolean hasMasks() {
    return maskHead != null;
  }

  /** The keypoints per object the second stage predicts (0 without a keypoint branch). */
  public int keypoints() {
    return keypointPredictor == null ? 0 : (int) keypointPredictor.keypoints();
  }

  /** The second stage's settings. */
  Options options() {
    return options;
  }

  /** The number of classes, background included. */
  public long numClasses() {
    return numClasses;
  }

  /** The side {@code M} of the masks {@code [K, 1, M, M]} the mask branch predicts. */
  public int maskSize() {
    if (maskPool == null) {
      throw new IllegalStateException("no mask branch");
    }
    return maskPool.outputSize() * MASK_SIZE_FACTOR;
  }

  /**
   * The training losses {@code loss_classifier}, {@code loss_box_reg}, and {@code loss_mask} and
   * {@code loss_keypoint} for the branches it has, of a batch, with RoIs sampled from {@code
   * random}.
   *
   * @param features the pyramid levels, finest first; the RoIs are pooled from the poolers' levels
   * @param proposals per image, {@code [N_i, 4]}
   * @param imageSizes per image, {@code {height, width}} before padding
   * @param targets per image
   * @return the losses by torchvision's names; the caller closes them
   */
  public Map<String, Tensor> losses(
      List<Tensor> features,
      List<Tensor> proposals,
      List<int[]> imageSizes,
      List<GroundTruth> targets,
      SplittableRandom random) {
    return losses(
        features,
        proposals,
        imageSizes,
        targets,
        labels -> sample(labels, random),
        StageTimes.off());
  }

  /** The RoIs of one image's {@code labels} the sampler picks with {@code random}. */
  BalancedSampler.Sample sample(long[] labels, SplittableRandom random) {
    return sampler.sample(labels, random);
  }

  /**
   * {@link #losses} with the RoI sample of each image chosen by {@code sampling}, charging the time
   * of each stage to {@code times}: targets (matching, sampling, box and mask targets), box
   * RoIAlign, box head, box loss, mask RoIAlign, mask head, mask loss, keypoint RoIAlign, keypoint
   * head, keypoint loss.
   */
  Map<String, Tensor> losses(
      List<Tensor> features,
      List<Tensor> proposals,
      List<int[]> imageSizes,
      List<GroundTruth> targets,
      Function<long[], BalancedSampler.Sample> sampling,
      StageTimes times) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    try (PointerScope scope = new PointerScope()) {
      List<Tensor> sampledBoxes = new ArrayList<>();
      List<Tensor> regression = new ArrayList<>();
      List<Tensor> maskBoxes = new ArrayList<>();
      List<Tensor> maskTargets = new ArrayList<>();
      List<long[]> positiveMatches = new ArrayList<>();
      List<Tensor> keypointTargets = new ArrayList<>();
      long[] labels = new long[0];
      long[] maskLabels = new long[0];
      MaskTargets projector = maskPool == null ? null : new MaskTargets(maskSize());
      for (int i = 0; i < proposals.size(); i++) {
        GroundTruth gt = targets.get(i);
        Sampled s = sample(proposals.get(i), gt, sampling);
        sampledBoxes.add(s.boxes);
        regression.add(s.regression);
        labels = concat(labels, s.labels);
        long[] positive =
            java.util.stream.IntStream.range(0, s.labels.length)
                .filter(k -> s.labels[k] > 0)
                .asLongStream()
                .toArray();
        long[] matched = new long[positive.length];
        long[] classes = new long[positive.length];
        for (int k = 0; k < positive.length; k++) {
          matched[k] = s.matched[(int) positive[k]];
          classes[k] = s.labels[(int) positive[k]];
        }
        Tensor boxes = s.boxes.index_select(0, Torch.longs(positive, positive.length));
        maskBoxes.add(boxes);
        positiveMatches.add(matched);
        if (projector != null) {
          maskTargets.add(projector.project(gt.masks(), boxes, matched));
        }
        if (keypointPool != null) {
          if (gt.keypoints() == null) {
            throw new IllegalArgumentException(
                "the keypoint branch trains on keypoints: image " + i + " has none");
          }
          keypointTargets.add(gt.keypoints());
        }
        maskLabels = concat(maskLabels, classes);
      }
      times.lap("roi targets");
      Tensor pooled = adopt(boxPool.apply(boxPool.pooled(features), sampledBoxes, imageSizes));
      times.lap("box roialign");
      Tensor representation = boxHead.forward(pooled);
      Losses.Pair predicted = boxPredictor.forward(representation);
      times.lap("box head");
      Losses.Pair box =
          adoptBoth(
              Losses.fastRcnn(
                  predicted.classification(), predicted.boxRegression(), labels, cat(regression)));
      times.lap("box loss");
      out.put("loss_classifier", keep(box.classification()));
      out.put("loss_box_reg", keep(box.boxRegression()));
      if (maskPool != null) {
        Tensor maskPooled = adopt(maskPool.apply(maskPool.pooled(features), maskBoxes, imageSizes));
        times.lap("mask roialign");
        Tensor maskFeatures = maskHead.forward(maskPooled);
        Tensor maskLogits = maskPredictor.forward(maskFeatures);
        times.lap("mask head");
        Tensor mask = adopt(Losses.mask(maskLogits, cat(maskTargets), maskLabels));
        times.lap("mask loss");
        out.put("loss_mask", keep(mask));
      }
      if (keypointPool != null) {
        Tensor pooledKeypoints =
            adopt(keypointPool.apply(keypointPool.pooled(features), maskBoxes, imageSizes));
        times.lap("keypoint roialign");
        Tensor keypointLogits = keypointPredictor.forward(keypointHead.forward(pooledKeypoints));
        times.lap("keypoint head");
        Tensor keypoint =
            KeypointHeatmaps.loss(keypointLogits, maskBoxes, keypointTargets, positiveMatches);
        times.lap("keypoint loss");
        out.put("loss_keypoint", keypoint);
      }
    }
    return out;
  }

  /** One image's sampled RoIs: boxes, their labels, matched ground truths and targets. */
  private record Sampled(Tensor boxes, long[] labels, long[] matched, Tensor regression) {}

  private Sampled sample(
      Tensor proposals, GroundTruth gt, Function<long[], BalancedSampler.Sample> sampling) {
    Tensor all = torch.cat(new TensorVector(proposals.detach(), gt.boxes()), 0);
    Assignment a = assign(all, gt);
    long[] chosen = sampling.apply(a.labels).all();
    Tensor index = Torch.longs(chosen, chosen.length);
    long[] labels = new long[chosen.length];
    long[] matched = new long[chosen.length];
    for (int k = 0; k < chosen.length; k++) {
      labels[k] = a.labels[(int) chosen[k]];
      matched[k] = a.matched[(int) chosen[k]];
    }
    Tensor boxes = all.index_select(0, index);
    Tensor gtBoxes = gt.labels().length == 0 ? torch.zeros(1, 4) : gt.boxes();
    Tensor regression =
        adopt(coder.encode(gtBoxes.index_select(0, Torch.longs(matched, matched.length)), boxes));
    return new Sampled(boxes, labels, matched, regression);
  }

  /**
   * The class label of each RoI (0 background, -1 ignored) and the ground truth it is matched to (0
   * when none), as torchvision's {@code assign_targets_to_proposals}.
   *
   * @param rois {@code [N, 4]}, the proposals with the ground-truth boxes appended
   */
  Assignment assign(Tensor rois, GroundTruth gt) {
    int n = (int) rois.size(0);
    if (gt.labels().length == 0) {
      return new Assignment(new long[n], new long[n]);
    }
    try (PointerScope scope = new PointerScope()) {
      long[] m = Torch.toLongs(adopt(matcher.match(adopt(BoxOps.iou(gt.boxes(), rois)))));
      long[] labels = new long[n];
      long[] matched = new long[n];
      for (int k = 0; k < n; k++) {
        matched[k] = Math.max(m[k], 0);
        labels[k] =
            m[k] == Matcher.BELOW_LOW ? 0 : m[k] == Matcher.BETWEEN ? -1 : gt.labels()[(int) m[k]];
      }
      return new Assignment(labels, matched);
    }
  }

  /** Labels and matched ground truths of an image's RoIs. */
  record Assignment(long[] labels, long[] matched) {}

  /**
   * The detections of every image (evaluation).
   *
   * @param features the pyramid levels, finest first; the RoIs are pooled from the poolers' levels
   * @param proposals per image, {@code [N_i, 4]}
   * @return per image; the caller closes them
   */
  public List<Detections> detect(
      List<Tensor> features, List<Tensor> proposals, List<int[]> imageSizes) {
    List<Detections> out = new ArrayList<>();
    try (PointerScope scope = new PointerScope()) {
      Tensor representation =
          boxHead.forward(adopt(boxPool.apply(boxPool.pooled(features), proposals, imageSizes)));
      Losses.Pair predicted = boxPredictor.forward(representation);
      List<Detections> boxes =
          postprocess(predicted.classification(), predicted.boxRegression(), proposals, imageSizes);
      List<Tensor> detected = new ArrayList<>();
      boxes.forEach(d -> detected.add(d.boxes()));
      Tensor probabilities =
          maskPool == null
              ? null
              : maskPredictor
                  .forward(
                      maskHead.forward(
                          adopt(maskPool.apply(maskPool.pooled(features), detected, imageSizes))))
                  .sigmoid();
      Tensor heatmaps =
          keypointPool == null
              ? null
              : keypointPredictor.forward(
                  keypointHead.forward(
                      adopt(
                          keypointPool.apply(
                              keypointPool.pooled(features), detected, imageSizes))));
      long offset = 0;
      for (Detections d : boxes) {
        int k = d.labels().length;
        Tensor masks = null;
        if (probabilities != null) {
          long[] cells = new long[k];
          for (int j = 0; j < k; j++) {
            cells[j] = (offset + j) * numClasses + d.labels()[j];
          }
          long side = probabilities.size(2);
          masks =
              keep(
                  probabilities
                      .reshape(-1, side, side)
                      .index_select(0, Torch.longs(cells, k))
                      .unsqueeze(1));
        }
        Tensor keypoints = null;
        Tensor keypointScores = null;
        if (heatmaps != null) {
          KeypointHeatmaps.Decoded decoded =
              KeypointHeatmaps.decode(heatmaps.narrow(0, offset, k), d.boxes());
          keypoints = keep(decoded.keypoints());
          keypointScores = keep(decoded.scores());
        }
        offset += k;
        out.add(
            new Detections(d.boxes(), d.scores(), d.labels(), masks, keypoints, keypointScores));
      }
    }
    return out;
  }

  /**
   * torchvision's {@code postprocess_detections}: boxes, scores and labels per image from the box
   * predictor's outputs on {@code proposals}.
   */
  List<Detections> postprocess(
      Tensor classLogits, Tensor boxRegression, List<Tensor> proposals, List<int[]> imageSizes) {
    List<Detections> out = new ArrayList<>();
    int classes = (int) numClasses;
    try (PointerScope scope = new PointerScope()) {
      float[] boxes = Torch.toFloats(adopt(coder.decode(boxRegression.detach(), cat(proposals))));
      float[] scores = Torch.toFloats(torch.softmax(classLogits.detach(), -1));
      int row = 0;
      for (int i = 0; i < proposals.size(); i++) {
        int n = (int) proposals.get(i).size(0);
        int[] size = imageSizes.get(i);
        float[] b = new float[n * (classes - 1) * 4];
        float[] s = new float[n * (classes - 1)];
        long[] l = new long[n * (classes - 1)];
        int m = 0;
        for (int r = row; r < row + n; r++) {
          for (int c = 1; c < classes; c++) {
            float score = scores[r * classes + c];
            int at = (r * classes + c) * 4;
            float x1 = clamp(boxes[at], size[1]);
            float y1 = clamp(boxes[at + 1], size[0]);
            float x2 = clamp(boxes[at + 2], size[1]);
            float y2 = clamp(boxes[at + 3], size[0]);
            if (!(score > options.scoreThreshold())
                || x2 - x1 < MIN_DETECTION_SIZE
                || y2 - y1 < MIN_DETECTION_SIZE) {
              continue;
            }
            b[m * 4] = x1;
            b[m * 4 + 1] = y1;
            b[m * 4 + 2] = x2;
            b[m * 4 + 3] = y2;
            s[m] = score;
            l[m] = c;
            m++;
          }
        }
        row += n;
        float[] fb = Arrays.copyOf(b, m * 4);
        float[] fs = Arrays.copyOf(s, m);
        long[] keepIdx =
            Nms.batchedKeep(fb, fs, Arrays.copyOf(l, m), (float) options.nmsThreshold());
        int count = Math.min(keepIdx.length, options.detectionsPerImage());
        float[] rb = new float[count * 4];
        float[] rs = new float[count];
        long[] rl = new long[count];
        for (int j = 0; j < count; j++) {
          int src = (int) keepIdx[j];
          System.arraycopy(fb, src * 4, rb, j * 4, 4);
          rs[j] = fs[src];
          rl[j] = l[src];
        }
        out.add(
            new Detections(
                keep(Torch.floats(rb, count, 4)), keep(Torch.floats(rs, count)), rl, null));
      }
    }
    return out;
  }

  /**
   * The box detections of {@link #postprocess} for one image in an exported graph: the box head and
   * predictor on the proposals pooled from the pyramid, softmax, per-class decoding with this
   * stage's coder, clipping to the resized image, background dropped, scores above the threshold,
   * small boxes dropped, NMS per class, the best {@code detectionsPerImage} - the decisions of the
   * Java code, made with the same float32 arithmetic and tie rules.
   *
   * @param name the stage's state-dict prefix ({@code roi_heads})
   * @param pyramid the pyramid levels, finest first
   * @param proposals the proposals {@code [P, 4]} in the resized image
   * @param image the exported input transform, whose resized size clips the boxes
   */
  public Exported export(
      GraphContext ctx,
      String name,
      List<String> pyramid,
      String proposals,
      InputTransform.Exported image) {
    OnnxGraph g = ctx.graph();
    String pooled = boxPool.export(ctx, pyramid, proposals, image.resizedHeight());
    String x = boxHead.export(ctx, name + ".box_head", pooled);
    String[] predicted = boxPredictor.export(ctx, name + ".box_predictor", x);
    String probabilities = g.op("Softmax", predicted[0], attr("axis", 1L));
    String rows = g.dim(predicted[1], 0);
    String codes = g.reshape(predicted[1], g.concat(0, rows, g.vector(numClasses, 4)));
    String decoded =
        BoxGraph.clip(
            g, coder.export(ctx, codes, g.unsqueeze(proposals, 1)), image.resizedLimits());
    // every (proposal, class) pair but the background, proposal-major
    String boxes = g.reshape(g.slice(decoded, 1, 1, numClasses), -1, 4);
    String scores = g.reshape(g.slice(probabilities, 1, 1, numClasses), -1);
    String labels =
        g.reshape(
            g.op(
                "Expand",
                List.of(
                    BoxGraph.range(g, g.scalar(1L), g.scalar(numClasses)),
                    g.concat(0, rows, g.vector(numClasses - 1)))),
            -1);
    String confident =
        g.op("Greater", List.of(scores, g.scalar(BoxGraph.floatBelow(options.scoreThreshold()))));
    String keep =
        g.op("And", List.of(confident, g.op("Not", BoxGraph.small(g, boxes, MIN_DETECTION_SIZE))));
    boxes = BoxGraph.compress(g, boxes, keep);
    scores = BoxGraph.compress(g, scores, keep);
    labels = BoxGraph.compress(g, labels, keep);
    // descending score, lower index first on ties: the order of a stable sort
    String[] order =
        g.op(
            "TopK",
            2,
            List.of(scores, g.shape(scores, 0, 1)),
            attr("axis", 0L),
            attr("largest", 1L),
            attr("sorted", 1L));
    boxes = g.gather(boxes, order[1], 0);
    labels = g.gather(labels, order[1], 0);
    scores = order[0];
    String kept =
        BoxGraph.sortAscending(
            g,
            BoxGraph.nms(
                g, boxes, labels, 1, (int) numClasses - 1, (float) options.nmsThreshold()));
    String best =
        g.op(
            "Slice",
            List.of(
                kept, g.vector(0L), g.vector((long) options.detectionsPerImage()), g.vector(0L)));
    return new Exported(
        g.gather(boxes, best, 0), g.gather(scores, best, 0), g.gather(labels, best, 0));
  }

  /**
   * The masks of {@link #detect} for one image's detections in an exported graph: the mask head and
   * predictor on the boxes pooled from the pyramid, and the probabilities of each detection's own
   * class.
   *
   * @param name the stage's state-dict prefix ({@code roi_heads})
   * @param pyramid the pyramid levels, finest first
   * @param detections the box detections of {@link #export}
   * @param image the exported input transform, whose resized height gives the levels' scales
   * @return the mask probabilities {@code [D, 1, M, M]}, M = {@link #maskSize}
   */
  public String exportMasks(
      GraphContext ctx,
      String name,
      List<String> pyramid,
      Exported detections,
      InputTransform.Exported image) {
    OnnxGraph g = ctx.graph();
    String pooled = maskPool.export(ctx, pyramid, detections.boxes(), image.resizedHeight());
    String x = maskHead.export(ctx, name + ".mask_head", pooled);
    String probabilities = g.op("Sigmoid", maskPredictor.export(ctx, name + ".mask_predictor", x));
    String index =
        g.op(
            "Expand",
            List.of(
                g.reshape(detections.labels(), -1, 1, 1, 1),
                g.concat(0, g.dim(probabilities, 0), g.vector(1), g.shape(probabilities, 2, 4))));
    return g.op("GatherElements", List.of(probabilities, index), attr("axis", 1L));
  }

  /**
   * The keypoints of {@link #detect} for one image's detections in an exported graph: the keypoint
   * head and predictor on the boxes pooled from the pyramid, each box's heatmaps decoded ({@link
   * KeypointHeatmaps#export}).
   *
   * @param name the stage's state-dict prefix ({@code roi_heads})
   * @return the keypoints {@code [D, K, 3]} in the resized image and their scores {@code [D, K]}
   */
  public String[] exportKeypoints(
      GraphContext ctx,
      String name,
      List<String> pyramid,
      Exported detections,
      InputTransform.Exported image) {
    if (keypointPool == null) {
      throw new IllegalStateException("no keypoint branch");
    }
    String pooled = keypointPool.export(ctx, pyramid, detections.boxes(), image.resizedHeight());
    String x = keypointHead.export(ctx, name + ".keypoint_head", pooled);
    String maps = keypointPredictor.export(ctx, name + ".keypoint_predictor", x);
    return KeypointHeatmaps.export(ctx, maps, detections.boxes());
  }

  /**
   * The tensors of an exported second stage.
   *
   * @param boxes the detections' boxes {@code [D, 4]} in the resized image, best first
   * @param scores their scores {@code [D]}, descending
   * @param labels their classes {@code [D]} (int64)
   */
  public record Exported(String boxes, String scores, String labels) {}

  private static float clamp(float v, int max) {
    return Math.min(Math.max(v, 0f), (float) max);
  }

  private static Losses.Pair adoptBoth(Losses.Pair pair) {
    BoxOps.adopt(pair.classification());
    BoxOps.adopt(pair.boxRegression());
    return pair;
  }

  private static Tensor cat(List<Tensor> parts) {
    return torch.cat(new TensorVector(parts.toArray(new Tensor[0])), 0);
  }

  private static long[] concat(long[] a, long[] b) {
    long[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /**
   * The second stage's settings.
   *
   * @param batchSizePerImage RoIs sampled per training image (512 in torchvision, 128 in {@code
   *     tiny})
   * @param positiveFraction the largest share of positives in the sample
   * @param scoreThreshold the lowest class probability kept at inference
   * @param nmsThreshold the IoU above which a detection of the same class is suppressed
   * @param detectionsPerImage the most detections kept per image
   */
  public record Options(
      int batchSizePerImage,
      double positiveFraction,
      double scoreThreshold,
      double nmsThreshold,
      int detectionsPerImage) {
    /** torchvision's defaults with {@code batchSizePerImage} RoIs per image. */
    public static Options torchvision(int batchSizePerImage) {
      return new Options(batchSizePerImage, 0.25, 0.05, 0.5, 100);
    }
  }
}
