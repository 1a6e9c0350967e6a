package io.maskstream.trainer.export;

import io.maskstream.schemas.models.ModelFile;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What an exported model says about itself, written into the ONNX file's metadata ({@link
 * ModelFile}).
 *
 * @param name the model name detectors announce and report ({@value ModelFile#NAME_KEY})
 * @param preset the architecture preset it was built with ({@code tiny}, {@code r18-fpn}, ...)
 * @param classNames class names, index = label id, 0 the background ({@value
 *     ModelFile#CLASSES_KEY})
 * @param provenance further metadata entries, e.g. {@value ModelFile#TRAINING_PREFIX}*; keys must
 *     not be ones the exporter writes itself
 * @param keypointNames the names of the keypoints a model with a keypoint head predicts, in order
 *     ({@value ModelFile#KEYPOINTS_KEY}); empty for other models
 * @param skeleton the pairs of 1-based keypoint numbers drawn as lines ({@value
 *     ModelFile#SKELETON_KEY})
 */
public record ExportInfo(
    String name,
    String preset,
    List<String> classNames,
    Map<String, String> provenance,
    List<String> keypointNames,
    List<List<Integer>> skeleton) {
  /**
   * Copies the list and the map (keeping the map's order).
   *
   * @throws IllegalArgumentException for a blank name or an empty class list
   */
  public ExportInfo {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(preset, "preset");
    if (name.isBlank()) {
      throw new IllegalArgumentException("a model name must not be blank");
    }
    classNames = List.copyOf(classNames);
    if (classNames.isEmpty()) {
      throw new IllegalArgumentException("no class names (index 0 is the background)");
    }
    provenance =
        java.util.Collections.unmodifiableMap(
            new LinkedHashMap<>(provenance == null ? Map.of() : provenance));
    keypointNames = List.copyOf(keypointNames);
    skeleton = skeleton.stream().map(List::copyOf).toList();
    int count = keypointNames.size();
    for (List<Integer> edge : skeleton) {
      if (edge.size() != 2 || edge.stream().anyMatch(k -> k < 1 || k > count)) {
        throw new IllegalArgumentException(
            "skeleton pair " + edge + " is not two keypoint numbers");
      }
    }
  }

  /** Export information of a model without keypoints. */
  public ExportInfo(
      String name, String preset, List<String> classNames, Map<String, String> provenance) {
    this(name, preset, classNames, provenance, List.of(), List.of());
  }

  /** The same information with the keypoints' names and skeleton. */
  public ExportInfo withKeypoints(List<String> names, List<List<Integer>> pairs) {
    return new ExportInfo(name, preset, classNames, provenance, names, pairs);
  }

  /** Export information without provenance entries. */
  public ExportInfo(String name, String preset, List<String> classNames) {
    this(name, preset, classNames, Map.of());
  }
}
