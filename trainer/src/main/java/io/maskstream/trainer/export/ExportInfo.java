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
 */
public record ExportInfo(
    String name, String preset, List<String> classNames, Map<String, String> provenance) {
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
  }

  /** Export information without provenance entries. */
  public ExportInfo(String name, String preset, List<String> classNames) {
    this(name, preset, classNames, Map.of());
  }
}
