package io.maskstream.sinks.capture;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.maskstream.schemas.cli.UserException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A COCO instances dataset being captured: {@code DIR/annotations.json} and the image files in
 * {@code DIR/images/}, as the trainer, {@code maskstream eval} and labelling tools read them.
 *
 * <p>An existing dataset in the folder is continued: new image and annotation ids follow the
 * highest ones there, its categories and entries are kept as they are, and the capture fields of
 * its images ({@code camera}, {@code sequence}, {@code dhash}) let a new capture skip frames it
 * already has and near-duplicates of them.
 *
 * <p>{@link #save()} replaces {@code annotations.json} atomically (a temporary file in the same
 * folder, forced to disk, then moved over it): a crash at any moment leaves the previous complete
 * file. Image files are written before the entry that names them, so every entry has its image. Not
 * thread-safe.
 */
public final class CaptureDataset {
  /** The annotations file's name. */
  public static final String ANNOTATIONS = "annotations.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final Path imagesDir;
  private final ObjectNode root;
  private final ArrayNode images;
  private final ArrayNode annotations;
  private final ArrayNode categories;
  private final Map<Long, String> categoryNames = new HashMap<>();
  private final Map<String, List<Long>> hashesByCamera = new HashMap<>();
  private final Set<String> fileNames = new HashSet<>();
  private final int imagesAtStart;
  private long nextImageId = 1;
  private long nextAnnotationId = 1;
  private boolean dirty;

  /** One instance of a kept frame: the serving model's prediction as a pre-annotation. */
  public record Prediction(
      int classId, String label, float score, double[] bbox, double area, JsonNode segmentation) {}

  /**
   * A frame to add.
   *
   * @param camera camera id
   * @param sequence per-camera frame number
   * @param captureTime when it was filmed
   * @param width image width
   * @param height image height
   * @param extension file name extension of the image bytes ({@code jpg}, {@code png})
   * @param image the encoded image, written as it is
   * @param model {@code NAME@VERSION} of the model whose predictions these are
   * @param reasons why it was kept
   * @param dhash its {@link DifferenceHash}
   * @param predictions the pre-annotations
   */
  public record Entry(
      String camera,
      long sequence,
      Instant captureTime,
      int width,
      int height,
      String extension,
      byte[] image,
      String model,
      List<Reason> reasons,
      long dhash,
      List<Prediction> predictions) {}

  private CaptureDataset(Path dir, ObjectNode root) {
    this.dir = dir;
    this.imagesDir = dir.resolve("images");
    this.root = root;
    this.images = array(root, "images");
    this.annotations = array(root, "annotations");
    this.categories = array(root, "categories");
    for (JsonNode image : images) {
      nextImageId = Math.max(nextImageId, image.path("id").asLong() + 1);
      fileNames.add(image.path("file_name").asText());
      JsonNode camera = image.get("camera");
      JsonNode dhash = image.get("dhash");
      if (camera != null && camera.isTextual() && dhash != null && dhash.isTextual()) {
        try {
          hashesByCamera
              .computeIfAbsent(camera.asText(), c -> new ArrayList<>())
              .add(DifferenceHash.parseHex(dhash.asText()));
        } catch (NumberFormatException e) {
          // not one of ours: no duplicate check against it
        }
      }
    }
    for (JsonNode annotation : annotations) {
      nextAnnotationId = Math.max(nextAnnotationId, annotation.path("id").asLong() + 1);
    }
    for (JsonNode category : categories) {
      categoryNames.put(category.path("id").asLong(), category.path("name").asText());
    }
    this.imagesAtStart = images.size();
  }

  /**
   * Opens the dataset in {@code dir}, creating the folder when missing, or continues the one there.
   *
   * @throws UserException when the folder cannot be written, or holds an {@code annotations.json}
   *     that is not a COCO instances file
   */
  public static CaptureDataset open(Path dir) {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new UserException("--out " + dir + " is a file: give a folder");
    }
    try {
      Files.createDirectories(dir.resolve("images"));
      Path probe = Files.createTempFile(dir, ".capture", ".probe");
      Files.delete(probe);
    } catch (IOException | SecurityException e) {
      throw new UserException(
          "cannot write to --out " + dir + " (" + e.getMessage() + "): give a writable folder", e);
    }
    Path file = dir.resolve(ANNOTATIONS);
    if (!Files.exists(file)) {
      ObjectNode root = JSON.createObjectNode();
      root.putObject("info").put("description", "frames captured by maskstream capture");
      root.putArray("images");
      root.putArray("annotations");
      root.putArray("categories");
      return new CaptureDataset(dir, root);
    }
    JsonNode root;
    try {
      root = JSON.readTree(file.toFile());
    } catch (JsonProcessingException e) {
      throw new UserException(
          file + " is not JSON (" + e.getOriginalMessage() + "): give another --out folder", e);
    } catch (IOException e) {
      throw new UserException("cannot read " + file + ": " + e.getMessage(), e);
    }
    if (root == null
        || !root.isObject()
        || !root.path("images").isArray()
        || (root.has("annotations") && !root.get("annotations").isArray())
        || (root.has("categories") && !root.get("categories").isArray())) {
      throw new UserException(
          file
              + " is not a COCO instances file (no \"images\" list): give another --out folder"
              + " to capture into");
    }
    ObjectNode object = (ObjectNode) root;
    for (String list : List.of("annotations", "categories")) {
      if (!object.has(list)) {
        object.putArray(list);
      }
    }
    return new CaptureDataset(dir, object);
  }

  private static ArrayNode array(ObjectNode root, String name) {
    return (ArrayNode) root.get(name);
  }

  /** Whether the dataset already has an image file of this name. */
  public boolean contains(String fileName) {
    return fileNames.contains(fileName);
  }

  /** The file name an image of {@code camera}'s frame {@code sequence} gets. */
  public static String fileName(String camera, long sequence, String extension) {
    return camera + "-" + sequence + "." + extension;
  }

  /** The difference hashes of the frames of {@code camera} in the dataset. */
  public List<Long> hashes(String camera) {
    return hashesByCamera.getOrDefault(camera, List.of());
  }

  /**
   * Writes the entry's image to {@code images/} and adds its image, categories and annotations;
   * {@link #save()} makes them part of {@code annotations.json}.
   *
   * @return the new image id
   */
  public long add(Entry entry) throws IOException {
    String name = fileName(entry.camera(), entry.sequence(), entry.extension());
    Files.write(imagesDir.resolve(name), entry.image());
    long imageId = nextImageId++;
    ObjectNode image = images.addObject();
    image.put("id", imageId);
    image.put("file_name", name);
    image.put("width", entry.width());
    image.put("height", entry.height());
    image.put("camera", entry.camera());
    image.put("sequence", entry.sequence());
    image.put("capture_time", entry.captureTime().toString());
    image.put("model", entry.model());
    ArrayNode reasons = image.putArray("reasons");
    entry.reasons().forEach(r -> reasons.add(r.label()));
    image.put("dhash", DifferenceHash.hex(entry.dhash()));
    fileNames.add(name);
    hashesByCamera.computeIfAbsent(entry.camera(), c -> new ArrayList<>()).add(entry.dhash());
    for (Prediction p : entry.predictions()) {
      if (!categoryNames.containsKey((long) p.classId())) {
        categoryNames.put((long) p.classId(), p.label());
        ObjectNode category = categories.addObject();
        category.put("id", p.classId());
        category.put("name", p.label());
        category.put("supercategory", "");
      }
      ObjectNode a = annotations.addObject();
      a.put("id", nextAnnotationId++);
      a.put("image_id", imageId);
      a.put("category_id", p.classId());
      ArrayNode bbox = a.putArray("bbox");
      for (double v : p.bbox()) {
        bbox.add(Math.round(v * 100) / 100.0);
      }
      a.put("area", p.area());
      a.put("iscrowd", 0);
      a.set("segmentation", p.segmentation());
      a.put("score", Math.round(p.score() * 10000) / 10000.0);
    }
    dirty = true;
    return imageId;
  }

  /** Whether entries were added since the last {@link #save()}. */
  public boolean dirty() {
    return dirty;
  }

  /** Replaces {@code annotations.json} atomically with the dataset as it is now. */
  public void save() throws IOException {
    Path file = dir.resolve(ANNOTATIONS);
    Path tmp = dir.resolve(ANNOTATIONS + ".tmp");
    ByteBuffer bytes = ByteBuffer.wrap(JSON.writeValueAsBytes(root));
    try (FileChannel channel =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      while (bytes.hasRemaining()) {
        channel.write(bytes);
      }
      channel.force(true);
    }
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
    dirty = false;
  }

  /** Images in the dataset now. */
  public int imageCount() {
    return images.size();
  }

  /** Images the dataset had when opened. */
  public int imagesAtStart() {
    return imagesAtStart;
  }

  /** Annotations in the dataset now. */
  public int annotationCount() {
    return annotations.size();
  }

  /** The dataset's folder. */
  public Path dir() {
    return dir;
  }
}
