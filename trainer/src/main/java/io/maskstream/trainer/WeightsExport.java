package io.maskstream.trainer;

import io.maskstream.schemas.cli.UserException;
import io.maskstream.schemas.models.CocoCategories;
import io.maskstream.schemas.models.ModelFile;
import io.maskstream.trainer.export.ExportInfo;
import io.maskstream.trainer.model.InputTransform;
import io.maskstream.trainer.model.MaskRcnn;
import io.maskstream.trainer.train.Preset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.bytedeco.pytorch.Tensor;

/**
 * {@code train --init WEIGHTS --iterations 0}: a network of a preset holding exactly the given
 * weights, with its class names, ready to export. Every tensor of the network must come from the
 * weights and every tensor of the weights must belong to the network: nothing is left initialised
 * at random in a model that will serve.
 */
final class WeightsExport {
  /** The tensor whose rows are the classes (background first). */
  static final String CLASS_SCORES = "roi_heads.box_predictor.cls_score.weight";

  private WeightsExport() {}

  /**
   * The preset that weights in torchvision's names are of: a bottleneck block means ResNet-50, a
   * second block in stage 1 ResNet-18, otherwise the tiny body.
   */
  static Preset presetOf(Map<String, Tensor> weights) {
    if (weights.containsKey("backbone.body.layer1.0.conv3.weight")) {
      return Preset.R50_FPN;
    }
    if (weights.containsKey("backbone.body.layer1.1.conv1.weight")) {
      return Preset.R18_FPN;
    }
    return Preset.TINY;
  }

  /** The tensor whose output channels are the keypoints. */
  static final String KEYPOINT_LOGITS = "roi_heads.keypoint_predictor.kps_score_lowres.weight";

  /** The tensor present in weights with a mask head. */
  static final String MASK_LOGITS = "roi_heads.mask_predictor.mask_fcn_logits.weight";

  /**
   * The second-stage branches weights in torchvision's names have: a mask head when they hold its
   * logits layer, a keypoint head of as many keypoints as its predictor has output channels.
   */
  static MaskRcnn.Branches branchesOf(Map<String, Tensor> weights) {
    Tensor keypoints = weights.get(KEYPOINT_LOGITS);
    return new MaskRcnn.Branches(
        weights.containsKey(MASK_LOGITS),
        keypoints == null || keypoints.dim() != 4 ? 0 : (int) keypoints.shape()[1]);
  }

  /**
   * The names and skeleton of the keypoints of an exported model of {@code count} keypoints: those
   * the weights' metadata name (weights written by train), else COCO's person keypoints for 17,
   * else numbers without a skeleton.
   */
  static ExportInfo withKeypoints(ExportInfo info, int count, Map<String, String> metadata) {
    if (count == 0) {
      return info;
    }
    String names = metadata.get(ModelFile.KEYPOINTS_KEY);
    String skeleton = metadata.get(ModelFile.SKELETON_KEY);
    if (names != null) {
      List<String> named = ModelFile.classes(names);
      if (named.size() == count) {
        return info.withKeypoints(
            named, skeleton == null ? List.of() : ModelFile.skeleton(skeleton));
      }
    }
    return info.withKeypoints(
        CocoCategories.keypointNames(count), CocoCategories.keypointSkeleton(count));
  }

  /** The number of classes (background included) the weights detect. */
  static long numClasses(String what, Map<String, Tensor> weights) {
    Tensor scores = weights.get(CLASS_SCORES);
    if (scores == null || scores.dim() != 2) {
      throw new UserException(
          what
              + " are not Mask R-CNN weights in torchvision's names: they have no "
              + CLASS_SCORES
              + (weights.isEmpty()
                  ? ""
                  : " (they hold e.g. " + few(new ArrayList<>(weights.keySet())) + ")"));
    }
    return scores.shape()[0];
  }

  /**
   * The class names of the exported model: {@code given} (without the background), else those the
   * weights name, else torchvision's COCO list for weights of 91 classes.
   *
   * @throws UserException when none applies or the count does not fit
   */
  static List<String> classNames(
      String what, long numClasses, List<String> given, List<String> ofWeights) {
    if (given != null) {
      if (given.size() != numClasses - 1) {
        throw new UserException(
            "--classes names "
                + given.size()
                + " classes, "
                + what
                + " detect "
                + (numClasses - 1)
                + " (plus the background): give "
                + (numClasses - 1)
                + " names in label order");
      }
      List<String> names = new ArrayList<>();
      names.add("__background__");
      names.addAll(given);
      return names;
    }
    if (ofWeights != null) {
      if (ofWeights.size() != numClasses) {
        throw new UserException(
            what + " name " + ofWeights.size() + " classes but detect " + numClasses);
      }
      return ofWeights;
    }
    if (numClasses == CocoCategories.torchvision91().size()) {
      return CocoCategories.torchvision91();
    }
    throw new UserException(
        what
            + " detect "
            + (numClasses - 1)
            + " classes and do not name them: give --classes with "
            + (numClasses - 1)
            + " names in label order");
  }

  /**
   * A new network of {@code preset} resizing its input by {@code transform}, holding exactly {@code
   * weights}; the caller closes it.
   *
   * @throws UserException naming a few missing, unexpected or other-shaped tensors
   */
  static MaskRcnn load(
      String what, Preset preset, Map<String, Tensor> given, InputTransform transform) {
    long numClasses = numClasses(what, given);
    MaskRcnn model =
        preset.create(new SplittableRandom(0), numClasses, transform, branchesOf(given));
    try {
      Map<String, Tensor> own = model.stateDict();
      // a batch normalisation's step count is no weight: frozen normalisation has none and drops
      // it on loading, as torchvision's FrozenBatchNorm2d does
      Map<String, Tensor> weights = new java.util.LinkedHashMap<>(given);
      weights.keySet().removeIf(k -> k.endsWith(".num_batches_tracked") && !own.containsKey(k));
      List<String> missing = new ArrayList<>();
      List<String> shapes = new ArrayList<>();
      own.forEach(
          (k, v) -> {
            Tensor w = weights.get(k);
            if (w == null) {
              missing.add(k);
            } else if (!Arrays.equals(w.shape(), v.shape())) {
              shapes.add(
                  k
                      + " "
                      + Arrays.toString(w.shape())
                      + " (expected "
                      + Arrays.toString(v.shape())
                      + ")");
            }
          });
      List<String> unexpected =
          weights.keySet().stream().filter(k -> !own.containsKey(k)).collect(Collectors.toList());
      if (!missing.isEmpty() || !unexpected.isEmpty() || !shapes.isEmpty()) {
        List<String> parts = new ArrayList<>();
        if (!missing.isEmpty()) {
          parts.add(missing.size() + " of its tensors missing (" + few(missing) + ")");
        }
        if (!unexpected.isEmpty()) {
          parts.add(unexpected.size() + " unexpected (" + few(unexpected) + ")");
        }
        if (!shapes.isEmpty()) {
          parts.add(shapes.size() + " of another shape (" + few(shapes) + ")");
        }
        Preset guess = presetOf(weights);
        throw new UserException(
            what
                + " are not weights of the "
                + preset
                + " network: "
                + String.join(", ", parts)
                + (guess != preset
                    ? "; they look like " + guess + " weights: give --preset " + guess
                    : ""));
      }
      model.loadStateDict(weights, true);
      return model;
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  private static String few(List<String> names) {
    return names.size() <= 3
        ? String.join(", ", names)
        : String.join(", ", names.subList(0, 3)) + ", ...";
  }
}
