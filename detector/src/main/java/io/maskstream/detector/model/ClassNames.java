package io.maskstream.detector.model;

import io.maskstream.schemas.models.CocoCategories;
import io.maskstream.schemas.models.ModelFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Class names indexed by the model's class id, and the COCO category id each class id stands for in
 * results JSON. Immutable.
 *
 * <p>Sources, in order of precedence: a labels file (one name per line, line {@code i} is class id
 * {@code i}, line 0 the background), the model's {@value ModelFile#CLASSES_KEY} metadata (a JSON
 * array in the same order), or torchvision's COCO list of 91 ids (with {@code N/A} gaps) for
 * torchvision-convention models and its 81 contiguous classes for ONNX Model Zoo models.
 */
public final class ClassNames {
  private static final List<String> COCO_91 = CocoCategories.torchvision91();

  private final List<String> names;
  private final int[] categoryIds;

  private ClassNames(List<String> names, int[] categoryIds) {
    this.names = List.copyOf(names);
    this.categoryIds = categoryIds;
  }

  /** The given names; class id {@code i} is category id {@code i}. */
  public static ClassNames of(List<String> names) {
    int[] ids = new int[names.size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = i;
    }
    return new ClassNames(names, ids);
  }

  /** torchvision's COCO category list: 91 ids, 0 the background, unused ids named {@code N/A}. */
  public static ClassNames coco91() {
    return of(COCO_91);
  }

  /**
   * The 81 contiguous COCO classes of maskrcnn-benchmark (ONNX Model Zoo): 0 the background, 1..80
   * the categories in id order; each maps back to its COCO category id.
   */
  public static ClassNames coco80Contiguous() {
    List<String> names = new ArrayList<>();
    List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < COCO_91.size(); i++) {
      if (!"N/A".equals(COCO_91.get(i))) {
        names.add(COCO_91.get(i));
        ids.add(i);
      }
    }
    return new ClassNames(names, ids.stream().mapToInt(Integer::intValue).toArray());
  }

  /**
   * Reads a labels file: one name per line, blank lines kept as unnamed ids.
   *
   * @throws IOException when the file cannot be read
   */
  public static ClassNames fromFile(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    while (!lines.isEmpty() && lines.get(lines.size() - 1).isBlank()) {
      lines.remove(lines.size() - 1);
    }
    if (lines.isEmpty()) {
      throw new IOException("no class names in " + file);
    }
    return of(lines.stream().map(String::strip).toList());
  }

  /**
   * Parses the {@value ModelFile#CLASSES_KEY} metadata value.
   *
   * @throws IllegalArgumentException when it is not a JSON array of strings
   */
  public static ClassNames fromMetadata(String json) {
    List<String> names = ModelFile.classes(json);
    if (names.isEmpty()) {
      throw new IllegalArgumentException(ModelFile.CLASSES_KEY + " is an empty list");
    }
    return of(names);
  }

  /** The name of a class id; {@code class N} for ids the list does not name. */
  public String label(int classId) {
    if (classId >= 0 && classId < names.size() && !names.get(classId).isBlank()) {
      return names.get(classId);
    }
    return "class " + classId;
  }

  /** The COCO category id of a class id (the id itself unless the list maps it). */
  public int categoryId(int classId) {
    return classId >= 0 && classId < categoryIds.length ? categoryIds[classId] : classId;
  }

  /** All names, index = class id. */
  public List<String> names() {
    return names;
  }
}
