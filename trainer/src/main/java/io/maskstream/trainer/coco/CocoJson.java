package io.maskstream.trainer.coco;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reads COCO instances annotations files and COCO results files.
 *
 * <p>The top level is streamed and each entry is read on its own, so memory grows with the number
 * of entries, not with a whole JSON tree. Structural problems (not JSON, no {@code images}, an
 * image without size) throw {@link CocoFormatException}; problems of one annotation or detection
 * are recorded in its {@code defects} so that the caller decides whether to fail or skip. Stateless
 * and thread-safe.
 */
public final class CocoJson {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private CocoJson() {}

  /**
   * Reads an annotations file ({@code images}, {@code annotations}, {@code categories}).
   *
   * @throws CocoFormatException if the file is missing, not JSON or structurally wrong
   */
  public static CocoFile readAnnotations(Path file) {
    List<CocoImage> images = new ArrayList<>();
    List<CocoCategory> categories = new ArrayList<>();
    List<CocoAnnotation> annotations = new ArrayList<>();
    boolean sawImages = false;
    try (JsonParser p = open(file)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new CocoFormatException(
            file + ": expected a JSON object with images and annotations");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        p.nextToken();
        switch (name) {
          case "images" -> {
            sawImages = true;
            readArray(p, file, name, n -> images.add(image(file, images.size(), n)));
          }
          case "categories" ->
              readArray(p, file, name, n -> categories.add(category(file, categories.size(), n)));
          case "annotations" ->
              readArray(p, file, name, n -> annotations.add(annotation(annotations.size(), n)));
          default -> p.skipChildren();
        }
      }
    } catch (JsonProcessingException e) {
      throw new CocoFormatException(
          file + " is not valid JSON: " + e.getOriginalMessage() + " at " + e.getLocation(), e);
    } catch (IOException e) {
      throw new CocoFormatException("cannot read " + file + ": " + e, e);
    }
    if (!sawImages) {
      throw new CocoFormatException(
          file + " has no \"images\" list: it is not a COCO instances annotations file");
    }
    return new CocoFile(images, categories, annotations);
  }

  /**
   * Reads a results file: a JSON list of {@code {"image_id", "category_id", "score", "bbox",
   * "segmentation"}}.
   *
   * @throws CocoFormatException if the file is missing, not JSON or not a list
   */
  public static List<CocoResult> readResults(Path file) {
    List<CocoResult> results = new ArrayList<>();
    try (JsonParser p = open(file)) {
      if (p.nextToken() != JsonToken.START_ARRAY) {
        throw new CocoFormatException(
            file + ": results must be a JSON list of detections (COCO results format)");
      }
      while (p.nextToken() != JsonToken.END_ARRAY) {
        JsonNode node = p.readValueAsTree();
        results.add(result(results.size(), node));
      }
    } catch (JsonProcessingException e) {
      throw new CocoFormatException(
          file + " is not valid JSON: " + e.getOriginalMessage() + " at " + e.getLocation(), e);
    } catch (IOException e) {
      throw new CocoFormatException("cannot read " + file + ": " + e, e);
    }
    return results;
  }

  private static JsonParser open(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new CocoFormatException(file + " does not exist or is not a file");
    }
    return MAPPER.createParser(file.toFile());
  }

  private static void readArray(JsonParser p, Path file, String name, Consumer<JsonNode> each)
      throws IOException {
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw new CocoFormatException(file + ": \"" + name + "\" must be a list");
    }
    while (p.nextToken() != JsonToken.END_ARRAY) {
      each.accept(p.readValueAsTree());
    }
  }

  private static CocoImage image(Path file, int index, JsonNode n) {
    String where = file + ": images[" + index + "]";
    if (!n.isObject()) {
      throw new CocoFormatException(where + " is not an object");
    }
    List<String> defects = new ArrayList<>();
    Long id = integral(n, "id", defects);
    Long width = integral(n, "width", defects);
    Long height = integral(n, "height", defects);
    JsonNode fileName = n.get("file_name");
    if (id == null || width == null || height == null || !defects.isEmpty()) {
      throw new CocoFormatException(
          where
              + " needs integer \"id\", \"width\" and \"height\""
              + (defects.isEmpty() ? "" : " (" + String.join(", ", defects) + ")"));
    }
    if (width <= 0 || height <= 0 || width * height > Integer.MAX_VALUE) {
      throw new CocoFormatException(
          where + " (id " + id + ") has an invalid size " + width + "x" + height);
    }
    return new CocoImage(
        id,
        width.intValue(),
        height.intValue(),
        fileName != null && fileName.isTextual() ? fileName.asText() : null);
  }

  private static CocoCategory category(Path file, int index, JsonNode n) {
    List<String> defects = new ArrayList<>();
    Long id = n.isObject() ? integral(n, "id", defects) : null;
    if (id == null) {
      throw new CocoFormatException(
          file + ": categories[" + index + "] needs an integer \"id\"" + defects);
    }
    JsonNode name = n.get("name");
    JsonNode supercategory = n.get("supercategory");
    String where = file + ": categories[" + index + "] (id " + id + ")";
    List<String> keypoints = strings(n.get("keypoints"), where, "keypoints");
    List<List<Integer>> skeleton = new ArrayList<>();
    for (JsonNode edge : list(n.get("skeleton"), where, "skeleton")) {
      if (!edge.isArray()
          || edge.size() != 2
          || !edge.get(0).canConvertToInt()
          || !edge.get(1).canConvertToInt()
          || !edge.get(0).isIntegralNumber()
          || !edge.get(1).isIntegralNumber()) {
        throw new CocoFormatException(
            where + ": \"skeleton\" entries must be pairs of keypoint numbers, got " + edge);
      }
      int a = edge.get(0).asInt();
      int b = edge.get(1).asInt();
      if (a < 1 || b < 1 || a > keypoints.size() || b > keypoints.size()) {
        throw new CocoFormatException(
            where
                + ": \"skeleton\" pair "
                + edge
                + " names a keypoint outside 1.."
                + keypoints.size()
                + " (the numbers are 1-based positions in \"keypoints\")");
      }
      skeleton.add(List.of(a, b));
    }
    List<List<String>> flipMap = new ArrayList<>();
    for (JsonNode pair : list(n.get("flip_map"), where, "flip_map")) {
      List<String> names = strings(pair, where, "flip_map");
      if (names.size() != 2 || !keypoints.containsAll(names)) {
        throw new CocoFormatException(
            where
                + ": \"flip_map\" entries must be pairs of the category's keypoint names, got "
                + pair);
      }
      flipMap.add(names);
    }
    return new CocoCategory(
        id,
        name != null && name.isTextual() ? name.asText() : String.valueOf(id),
        supercategory != null && supercategory.isTextual() ? supercategory.asText() : null,
        keypoints,
        skeleton,
        flipMap);
  }

  /** The elements of an optional JSON array field (none when absent or null). */
  private static List<JsonNode> list(JsonNode v, String where, String field) {
    if (v == null || v.isNull()) {
      return List.of();
    }
    if (!v.isArray()) {
      throw new CocoFormatException(where + ": \"" + field + "\" must be a list, got " + v);
    }
    List<JsonNode> out = new ArrayList<>();
    v.forEach(out::add);
    return out;
  }

  /** An optional JSON array of strings (empty when absent). */
  private static List<String> strings(JsonNode v, String where, String field) {
    List<String> out = new ArrayList<>();
    for (JsonNode s : list(v, where, field)) {
      if (!s.isTextual()) {
        throw new CocoFormatException(
            where + ": \"" + field + "\" must hold names (strings), got " + s);
      }
      out.add(s.asText());
    }
    return out;
  }

  static CocoAnnotation annotation(int index, JsonNode n) {
    List<String> defects = new ArrayList<>();
    if (!n.isObject()) {
      return new CocoAnnotation(
          index, null, null, null, null, null, false, null, null, null, List.of("not an object"));
    }
    Long id = integral(n, "id", defects);
    Long imageId = integral(n, "image_id", defects);
    Long categoryId = integral(n, "category_id", defects);
    double[] bbox = box(n, defects);
    Double area = number(n, "area", defects);
    boolean iscrowd = flag(n, "iscrowd", defects);
    Segmentation segmentation = segmentation(n.get("segmentation"), defects);
    double[] keypoints = keypoints(n, defects);
    Long numKeypoints = integral(n, "num_keypoints", defects);
    return new CocoAnnotation(
        index,
        id,
        imageId,
        categoryId,
        bbox,
        area,
        iscrowd,
        segmentation,
        keypoints,
        numKeypoints == null ? null : numKeypoints.intValue(),
        defects);
  }

  static CocoResult result(int index, JsonNode n) {
    List<String> defects = new ArrayList<>();
    if (!n.isObject()) {
      return new CocoResult(index, null, null, null, null, null, null, List.of("not an object"));
    }
    Long imageId = integral(n, "image_id", defects);
    Long categoryId = integral(n, "category_id", defects);
    Double score = number(n, "score", defects);
    double[] bbox = box(n, defects);
    Segmentation segmentation = segmentation(n.get("segmentation"), defects);
    double[] keypoints = keypoints(n, defects);
    return new CocoResult(
        index, imageId, categoryId, score, bbox, segmentation, keypoints, defects);
  }

  private static Long integral(JsonNode n, String field, List<String> defects) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (v.isNumber() && v.canConvertToExactIntegral() && v.canConvertToLong()) {
      return v.asLong();
    }
    defects.add("\"" + field + "\" is not an integer: " + v);
    return null;
  }

  private static Double number(JsonNode n, String field, List<String> defects) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (v.isNumber()) {
      return v.asDouble();
    }
    defects.add("\"" + field + "\" is not a number: " + v);
    return null;
  }

  private static boolean flag(JsonNode n, String field, List<String> defects) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      return false;
    }
    if (v.isBoolean()) {
      return v.asBoolean();
    }
    if (v.isNumber()) {
      return v.asDouble() != 0;
    }
    defects.add("\"" + field + "\" is not 0 or 1: " + v);
    return false;
  }

  private static double[] keypoints(JsonNode n, List<String> defects) {
    JsonNode v = n.get("keypoints");
    if (v == null || v.isNull()) {
      return null;
    }
    double[] keypoints = numbers(v);
    if (keypoints == null || keypoints.length % 3 != 0) {
      defects.add("\"keypoints\" is not [x1, y1, v1, x2, y2, v2, ...]: " + abbreviate(v));
      return null;
    }
    return keypoints;
  }

  private static double[] box(JsonNode n, List<String> defects) {
    JsonNode v = n.get("bbox");
    if (v == null || v.isNull() || (v.isArray() && v.isEmpty())) {
      return null;
    }
    double[] box = numbers(v);
    if (box == null || box.length != 4) {
      defects.add("\"bbox\" is not [x, y, w, h]: " + abbreviate(v));
      return null;
    }
    return box;
  }

  private static Segmentation segmentation(JsonNode v, List<String> defects) {
    if (v == null || v.isNull()) {
      return null;
    }
    if (v.isArray()) {
      List<double[]> rings = new ArrayList<>(v.size());
      for (JsonNode ring : v) {
        double[] xy = numbers(ring);
        if (xy == null) {
          defects.add("\"segmentation\" polygon is not a list of numbers: " + abbreviate(ring));
          return null;
        }
        rings.add(xy);
      }
      return new Segmentation.Polygons(rings);
    }
    if (v.isObject()) {
      JsonNode size = v.get("size");
      JsonNode counts = v.get("counts");
      double[] hw = size == null ? null : numbers(size);
      if (hw == null
          || hw.length != 2
          || hw[0] < 0
          || hw[1] < 0
          || hw[0] != Math.rint(hw[0])
          || hw[1] != Math.rint(hw[1])
          || counts == null) {
        defects.add("\"segmentation\" RLE needs \"size\": [h, w] and \"counts\": " + abbreviate(v));
        return null;
      }
      int h = (int) hw[0];
      int w = (int) hw[1];
      if (counts.isTextual()) {
        return new Segmentation.CompressedRle(h, w, counts.asText());
      }
      double[] c = numbers(counts);
      if (c != null) {
        int[] ints = new int[c.length];
        for (int i = 0; i < c.length; i++) {
          if (c[i] < 0 || c[i] != Math.rint(c[i]) || c[i] > Integer.MAX_VALUE) {
            defects.add("\"segmentation\" RLE count is not a non-negative integer: " + c[i]);
            return null;
          }
          ints[i] = (int) c[i];
        }
        return new Segmentation.UncompressedRle(h, w, ints);
      }
      defects.add("\"segmentation\" RLE \"counts\" is neither a string nor a list of integers");
      return null;
    }
    defects.add("\"segmentation\" is neither polygons nor RLE: " + abbreviate(v));
    return null;
  }

  private static double[] numbers(JsonNode v) {
    if (!v.isArray()) {
      return null;
    }
    double[] out = new double[v.size()];
    for (int i = 0; i < out.length; i++) {
      JsonNode e = v.get(i);
      if (!e.isNumber()) {
        return null;
      }
      out[i] = e.asDouble();
    }
    return out;
  }

  private static String abbreviate(JsonNode v) {
    String s = v.toString();
    return s.length() > 60 ? s.substring(0, 57) + "..." : s;
  }
}
