package io.maskstream.schemas.models;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The contract of a Mask R-CNN ONNX model file between {@code train}, which exports it, and the
 * detector, {@code publish} and {@code train --init}, which read it: the graph's input and output
 * names and the {@code maskstream.*} keys of the file's metadata ({@code metadata_props}).
 *
 * <p>The graph follows torchvision's Mask R-CNN export: one input {@value #INPUT_IMAGE}, a float
 * RGB image {@code [3, H, W]} in [0, 1]; outputs {@value #OUTPUT_BOXES} {@code [N, 4]}, {@value
 * #OUTPUT_LABELS} {@code [N]}, {@value #OUTPUT_SCORES} {@code [N]} and {@value #OUTPUT_MASKS}
 * {@code [N, 1, H, W]}; a model with a keypoint head (torchvision's Keypoint R-CNN) also has
 * {@value #OUTPUT_KEYPOINTS} {@code [N, K, 3]} and {@value #OUTPUT_KEYPOINT_SCORES} {@code [N, K]},
 * and one without a mask head has no {@value #OUTPUT_MASKS}.
 *
 * <p>The metadata keys are what published model files carry: they must never change, or files
 * already in model stores stop being recognised. Every key {@code train} writes is here; {@code
 * publish} copies the {@value #TRAINING_PREFIX}* entries and {@value #PRESET_KEY} into the model's
 * announcement as its provenance, under the same keys, and turns {@value #BOX_AP_KEY} and {@value
 * #MASK_AP_KEY} into its metrics. The training weights' safetensors files use {@value #PRESET_KEY}
 * and {@value #CLASSES_KEY} in their metadata too, with the same meaning.
 */
public final class ModelFile {
  /** The graph's one input: a float RGB image {@code [3, H, W]} in [0, 1]. */
  public static final String INPUT_IMAGE = "image";

  /**
   * The output of the boxes, float {@code [N, 4]}: {@code x1, y1, x2, y2} in the image's pixels.
   */
  public static final String OUTPUT_BOXES = "boxes";

  /** The output of the class ids, int64 {@code [N]} (index into {@value #CLASSES_KEY}). */
  public static final String OUTPUT_LABELS = "labels";

  /** The output of the scores, float {@code [N]}, descending. */
  public static final String OUTPUT_SCORES = "scores";

  /** The output of the masks, float probabilities {@code [N, 1, H, W]} at the image's size. */
  public static final String OUTPUT_MASKS = "masks";

  /**
   * The output of the keypoints, float {@code [N, K, 3]}: {@code x, y} in the image's pixels and 1,
   * as torchvision's Keypoint R-CNN names and fills it.
   */
  public static final String OUTPUT_KEYPOINTS = "keypoints";

  /** The output of the keypoints' scores, float {@code [N, K]} (heatmap logits at the points). */
  public static final String OUTPUT_KEYPOINT_SCORES = "keypoints_scores";

  /**
   * Metadata key naming the graph contract; its presence tells the detector that {@code train}
   * exported the model. Its value is {@value #CONTRACT}.
   */
  public static final String CONTRACT_KEY = "maskstream.contract";

  /** The value of {@value #CONTRACT_KEY}: torchvision's convention, class names in the metadata. */
  public static final String CONTRACT = "maskstream";

  /** Metadata key of the model name detectors announce and report. */
  public static final String NAME_KEY = "maskstream.name";

  /** Metadata key of the architecture preset ({@code tiny}, {@code r18-fpn}, ...). */
  public static final String PRESET_KEY = "maskstream.preset";

  /**
   * Metadata key of the class names: a JSON array of strings, index = label id, 0 the background
   * ({@link #classesJson}, {@link #classes}).
   */
  public static final String CLASSES_KEY = "maskstream.classes";

  /**
   * Metadata key of the keypoint names of a model with a keypoint head: a JSON array of strings, in
   * the order of {@value #OUTPUT_KEYPOINTS}' second dimension ({@link #namesJson}).
   */
  public static final String KEYPOINTS_KEY = "maskstream.keypoints";

  /**
   * Metadata key of the keypoints' skeleton: a JSON array of pairs of 1-based keypoint numbers, as
   * COCO's category {@code skeleton} ({@link #skeletonJson}).
   */
  public static final String SKELETON_KEY = "maskstream.skeleton";

  /** The prefix of the training run's provenance keys; {@code publish} keeps them all. */
  public static final String TRAINING_PREFIX = "maskstream.training.";

  /** Metadata key of the file name of the training weights written beside the model. */
  public static final String WEIGHTS_KEY = "maskstream.training.weights";

  /** Metadata key of the hex sha256 of those training weights. */
  public static final String WEIGHTS_SHA256_KEY = "maskstream.training.weights_sha256";

  /** Metadata key of what the run started from ({@code train --init}). */
  public static final String INIT_KEY = "maskstream.training.init";

  /** Metadata key of the training dataset's folder. */
  public static final String DATASET_KEY = "maskstream.training.dataset";

  /** Metadata key of the iterations trained ({@code 0} for weights exported untrained). */
  public static final String ITERATIONS_KEY = "maskstream.training.iterations";

  /** Metadata key of the training time in seconds. */
  public static final String SECONDS_KEY = "maskstream.training.seconds";

  /** Metadata key of the batch size. */
  public static final String BATCH_SIZE_KEY = "maskstream.training.batch_size";

  /** Metadata key of the run's seed. */
  public static final String SEED_KEY = "maskstream.training.seed";

  /** Metadata key of the training image sizes ({@code --min-size}), comma-separated. */
  public static final String MIN_SIZES_KEY = "maskstream.training.min_sizes";

  /** Metadata key of the instant the run finished (ISO-8601). */
  public static final String FINISHED_KEY = "maskstream.training.finished";

  /** Metadata key of the validation dataset's folder. */
  public static final String VALIDATION_KEY = "maskstream.training.validation";

  /** Metadata key of the iteration whose weights were exported (the best validation). */
  public static final String BEST_ITERATION_KEY = "maskstream.training.best_iteration";

  /** Metadata key of the box AP the training's validation measured. */
  public static final String BOX_AP_KEY = "maskstream.metrics.box_ap";

  /** Metadata key of the mask AP the training's validation measured. */
  public static final String MASK_AP_KEY = "maskstream.metrics.mask_ap";

  private static final ObjectMapper JSON = new ObjectMapper();

  private ModelFile() {}

  /** The {@value #CLASSES_KEY} value of class names (index = label id, 0 the background). */
  public static String classesJson(List<String> names) {
    return namesJson(names);
  }

  /** A JSON array of names: the {@value #CLASSES_KEY} and {@value #KEYPOINTS_KEY} values. */
  public static String namesJson(List<String> names) {
    try {
      return JSON.writeValueAsString(names);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The class names a {@value #CLASSES_KEY} value holds, index = label id.
   *
   * @throws IllegalArgumentException when it is not a JSON array of names
   */
  public static List<String> classes(String json) {
    String[] names;
    try {
      names = JSON.readValue(json, String[].class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          CLASSES_KEY + " is not a JSON array of names: " + e.getMessage(), e);
    }
    if (names == null || Arrays.stream(names).anyMatch(Objects::isNull)) {
      throw new IllegalArgumentException(CLASSES_KEY + " is not a JSON array of names: " + json);
    }
    return List.of(names);
  }

  /** The {@value #SKELETON_KEY} value of pairs of 1-based keypoint numbers. */
  public static String skeletonJson(List<List<Integer>> pairs) {
    try {
      return JSON.writeValueAsString(pairs);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The pairs a {@value #SKELETON_KEY} value holds.
   *
   * @throws IllegalArgumentException when it is not a JSON array of pairs of numbers from 1
   */
  public static List<List<Integer>> skeleton(String json) {
    int[][] pairs;
    try {
      pairs = JSON.readValue(json, int[][].class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          SKELETON_KEY + " is not a JSON array of keypoint pairs: " + e.getMessage(), e);
    }
    if (pairs == null
        || Arrays.stream(pairs).anyMatch(p -> p == null || p.length != 2 || p[0] < 1 || p[1] < 1)) {
      throw new IllegalArgumentException(
          SKELETON_KEY + " is not a JSON array of pairs of keypoint numbers from 1: " + json);
    }
    return Arrays.stream(pairs).map(p -> List.of(p[0], p[1])).toList();
  }
}
