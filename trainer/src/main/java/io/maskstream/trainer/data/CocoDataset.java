package io.maskstream.trainer.data;

import io.maskstream.schemas.cli.UserException;
import io.maskstream.schemas.rle.CocoRle;
import io.maskstream.trainer.coco.CocoAnnotation;
import io.maskstream.trainer.coco.CocoCategory;
import io.maskstream.trainer.coco.CocoFile;
import io.maskstream.trainer.coco.CocoImage;
import io.maskstream.trainer.coco.CocoJson;
import io.maskstream.trainer.coco.Segmentation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A COCO instances dataset, checked and ready for training: a folder with {@code annotations.json}
 * and the images under {@code images/} (or where {@code file_name} says, relative to the folder).
 *
 * <p>Polygons, compressed and uncompressed RLE become masks at each image's size; category ids,
 * whatever they are, map to contiguous labels 1..K in ascending id order. Every annotation and
 * image is checked when the dataset is loaded: missing or malformed fields, degenerate polygons,
 * empty masks or boxes, masks of the wrong size, unknown images or categories, and image files that
 * are missing, unreadable or of another size than declared. A bad entry is an error naming the
 * image and the annotation, or, with {@code skipBad}, is left out and counted.
 *
 * <p>Immutable once loaded; image pixels are decoded on demand by {@link Sample#readRgb()}.
 */
public final class CocoDataset {
  private static final Logger LOG = LoggerFactory.getLogger(CocoDataset.class);

  private final Path root;
  private final List<DatasetCategory> categories;
  private final KeypointSpec keypoints;
  private final List<Sample> samples;
  private final int skippedAnnotations;
  private final int skippedImages;

  private CocoDataset(
      Path root,
      List<DatasetCategory> categories,
      KeypointSpec keypoints,
      List<Sample> samples,
      int skippedAnnotations,
      int skippedImages) {
    this.root = root;
    this.categories = List.copyOf(categories);
    this.keypoints = keypoints;
    this.samples = List.copyOf(samples);
    this.skippedAnnotations = skippedAnnotations;
    this.skippedImages = skippedImages;
  }

  /**
   * Loads and checks the dataset in {@code dir}.
   *
   * @param skipBad leave bad annotations and images out (counted) instead of failing
   * @throws UserException if the folder is not a dataset, or on the first bad entry unless {@code
   *     skipBad}
   */
  public static CocoDataset load(Path dir, boolean skipBad) {
    Path annotationsFile = dir.resolve("annotations.json");
    if (!Files.isRegularFile(annotationsFile)) {
      throw new UserException(
          "no annotations.json in " + dir + ": a dataset is a folder with annotations.json");
    }
    CocoFile file = CocoJson.readAnnotations(annotationsFile);
    Problems problems = new Problems(skipBad);

    List<CocoCategory> sortedCategories = new ArrayList<>(file.categoriesById().values());
    sortedCategories.sort(Comparator.comparingLong(CocoCategory::id));
    List<DatasetCategory> categories = new ArrayList<>();
    Map<Long, DatasetCategory> byCategoryId = new HashMap<>();
    for (CocoCategory c : sortedCategories) {
      DatasetCategory category = new DatasetCategory(categories.size() + 1, c.id(), c.name());
      categories.add(category);
      byCategoryId.put(c.id(), category);
    }
    if (categories.isEmpty()) {
      throw new UserException(annotationsFile + " has no categories: list the classes there");
    }
    KeypointSpec keypoints = KeypointSpec.of(sortedCategories, annotationsFile.toString());
    Map<Long, CocoCategory> cocoCategories = file.categoriesById();

    Map<Long, CocoImage> images = new LinkedHashMap<>();
    Map<Long, Path> imageFiles = new HashMap<>();
    for (CocoImage image : file.images()) {
      if (images.containsKey(image.id())) {
        throw new UserException(
            annotationsFile + ": image id " + image.id() + " is listed twice; ids must be unique");
      }
      Optional<String> bad = checkImageFile(dir, image, imageFiles);
      if (bad.isPresent()) {
        problems.image(image, bad.get());
      } else {
        images.put(image.id(), image);
      }
    }

    Map<Long, List<Instance>> instances = new HashMap<>();
    for (CocoAnnotation ann : file.annotations()) {
      if (ann.imageId() != null
          && imageFiles.containsKey(ann.imageId())
          && !images.containsKey(ann.imageId())) {
        continue; // the image itself was skipped, and counted
      }
      CocoImage image = ann.imageId() == null ? null : images.get(ann.imageId());
      String where = ann.describe() + (image == null ? "" : ", file " + image.fileName());
      Instance instance;
      try {
        instance = instance(ann, image, byCategoryId, keypoints, cocoCategories);
      } catch (BadAnnotation e) {
        problems.annotation(where, e.getMessage());
        continue;
      }
      instances.computeIfAbsent(image.id(), k -> new ArrayList<>()).add(instance);
    }

    List<Sample> samples = new ArrayList<>(images.size());
    for (CocoImage image : images.values()) {
      samples.add(
          new Sample(
              image.id(),
              imageFiles.get(image.id()),
              image.width(),
              image.height(),
              instances.getOrDefault(image.id(), List.of()),
              keypoints));
    }
    if (problems.skippedAnnotations > 0 || problems.skippedImages > 0) {
      LOG.warn(
          "{}: skipped {} bad annotation(s) and {} bad image(s)",
          dir,
          problems.skippedAnnotations,
          problems.skippedImages);
    }
    return new CocoDataset(
        dir, categories, keypoints, samples, problems.skippedAnnotations, problems.skippedImages);
  }

  private static Instance instance(
      CocoAnnotation ann,
      CocoImage image,
      Map<Long, DatasetCategory> categories,
      KeypointSpec spec,
      Map<Long, CocoCategory> cocoCategories)
      throws BadAnnotation {
    if (!ann.defects().isEmpty()) {
      throw new BadAnnotation(String.join("; ", ann.defects()));
    }
    if (ann.id() == null) {
      throw new BadAnnotation("missing \"id\"");
    }
    if (ann.imageId() == null) {
      throw new BadAnnotation("missing \"image_id\"");
    }
    if (image == null) {
      throw new BadAnnotation("unknown image id " + ann.imageId() + " (not in \"images\")");
    }
    if (ann.categoryId() == null) {
      throw new BadAnnotation("missing \"category_id\"");
    }
    DatasetCategory category = categories.get(ann.categoryId());
    if (category == null) {
      throw new BadAnnotation(
          "unknown category id " + ann.categoryId() + " (not in \"categories\")");
    }
    Segmentation segmentation = ann.segmentation();
    if (segmentation == null) {
      throw new BadAnnotation("missing \"segmentation\" (Mask R-CNN trains on masks)");
    }
    CocoRle mask;
    try {
      if (segmentation instanceof Segmentation.Polygons polygons) {
        checkPolygons(polygons);
      }
      mask = segmentation.toRle(image.height(), image.width());
    } catch (IllegalArgumentException e) {
      throw new BadAnnotation("bad segmentation: " + e.getMessage());
    }
    if (mask.height() != image.height() || mask.width() != image.width()) {
      throw new BadAnnotation(
          "mask is "
              + mask.width()
              + "x"
              + mask.height()
              + " but the image is "
              + image.width()
              + "x"
              + image.height());
    }
    if (mask.area() == 0) {
      throw new BadAnnotation("the segmentation covers no pixel");
    }
    double[] xywh = ann.bbox() != null ? ann.bbox() : mask.toBbox();
    for (double v : xywh) {
      if (!Double.isFinite(v)) {
        throw new BadAnnotation("\"bbox\" has a non-finite value");
      }
    }
    if (xywh[2] <= 0 || xywh[3] <= 0) {
      throw new BadAnnotation(
          "\"bbox\" has no width or height: ["
              + xywh[0]
              + ", "
              + xywh[1]
              + ", "
              + xywh[2]
              + ", "
              + xywh[3]
              + "]");
    }
    double[] box = {xywh[0], xywh[1], xywh[0] + xywh[2], xywh[1] + xywh[3]};
    float[] keypoints =
        spec == null
            ? null
            : keypoints(
                ann, spec, !cocoCategories.get(category.categoryId()).keypoints().isEmpty());
    return new Instance(
        ann.id(), category.categoryId(), category.label(), ann.iscrowd(), box, mask, keypoints);
  }

  /**
   * The annotation's keypoints checked against the dataset's: {@code 3 K} finite numbers with
   * visibility 0, 1 or 2; none (all 0) when it gives none.
   *
   * @param named whether the annotation's category names keypoints
   */
  private static float[] keypoints(CocoAnnotation ann, KeypointSpec spec, boolean named)
      throws BadAnnotation {
    float[] out = new float[3 * spec.count()];
    double[] k = ann.keypoints();
    if (k == null) {
      return out;
    }
    if (!named) {
      boolean labelled = false;
      for (int i = 2; i < k.length; i += 3) {
        labelled |= k[i] != 0;
      }
      if (labelled) {
        throw new BadAnnotation(
            "has \"keypoints\" but its category names none: add the category's \"keypoints\"");
      }
      return out;
    }
    if (k.length != out.length) {
      throw new BadAnnotation(
          "\"keypoints\" has "
              + k.length / 3
              + " points, the category names "
              + spec.count()
              + " "
              + spec.names());
    }
    for (int i = 0; i < k.length; i++) {
      if (!Double.isFinite(k[i])) {
        throw new BadAnnotation("\"keypoints\" has a non-finite value");
      }
      if (i % 3 == 2 && k[i] != 0 && k[i] != 1 && k[i] != 2) {
        throw new BadAnnotation(
            "keypoint "
                + spec.names().get(i / 3)
                + " has visibility "
                + k[i]
                + " (COCO's are 0 not labelled, 1 hidden, 2 visible)");
      }
      out[i] = (float) k[i];
    }
    return out;
  }

  private static void checkPolygons(Segmentation.Polygons polygons) throws BadAnnotation {
    if (polygons.rings().isEmpty()) {
      throw new BadAnnotation("\"segmentation\" is an empty polygon list");
    }
    for (int i = 0; i < polygons.rings().size(); i++) {
      double[] ring = polygons.rings().get(i);
      if (ring.length < 6 || ring.length % 2 != 0) {
        throw new BadAnnotation(
            "degenerate polygon "
                + i
                + ": "
                + ring.length
                + " numbers (a polygon needs x,y pairs of at least 3 points)");
      }
      for (double v : ring) {
        if (!Double.isFinite(v)) {
          throw new BadAnnotation("polygon " + i + " has a non-finite coordinate");
        }
      }
    }
  }

  /** Finds and probes the image file; returns what is wrong with it, if anything. */
  private static Optional<String> checkImageFile(
      Path dir, CocoImage image, Map<Long, Path> imageFiles) {
    if (image.fileName() == null || image.fileName().isBlank()) {
      imageFiles.put(image.id(), dir.resolve("images"));
      return Optional.of("no \"file_name\"");
    }
    Path underImages = dir.resolve("images").resolve(image.fileName()).normalize();
    Path asNamed = dir.resolve(image.fileName()).normalize();
    Path path = Files.isRegularFile(underImages) ? underImages : asNamed;
    imageFiles.put(image.id(), path);
    if (!Files.isRegularFile(path)) {
      return Optional.of(
          "image file not found (looked for " + underImages + " and " + asNamed + ")");
    }
    try (ImageInputStream in = ImageIO.createImageInputStream(path.toFile())) {
      Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
      if (readers == null || !readers.hasNext()) {
        return Optional.of("unreadable image " + path + ": not a known image format");
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        int w = reader.getWidth(0);
        int h = reader.getHeight(0);
        if (w != image.width() || h != image.height()) {
          return Optional.of(
              path
                  + " is "
                  + w
                  + "x"
                  + h
                  + " but annotations.json says "
                  + image.width()
                  + "x"
                  + image.height());
        }
      } finally {
        reader.dispose();
      }
    } catch (IOException e) {
      return Optional.of("unreadable image " + path + ": " + e.getMessage());
    }
    return Optional.empty();
  }

  /** The dataset folder. */
  public Path root() {
    return root;
  }

  /** The keypoints every object is annotated with, if the categories name any. */
  public Optional<KeypointSpec> keypoints() {
    return Optional.ofNullable(keypoints);
  }

  /** The classes, by label (index 0 holds label 1). */
  public List<DatasetCategory> categories() {
    return categories;
  }

  /** The images with their objects, in the order of {@code images} in the file. */
  public List<Sample> samples() {
    return samples;
  }

  /** Annotations left out as bad (only with {@code skipBad}). */
  public int skippedAnnotations() {
    return skippedAnnotations;
  }

  /** Images left out as bad, with their annotations (only with {@code skipBad}). */
  public int skippedImages() {
    return skippedImages;
  }

  /** The label of a COCO category id. */
  public Optional<DatasetCategory> categoryById(long categoryId) {
    return categories.stream().filter(c -> c.categoryId() == categoryId).findFirst();
  }

  /** Collects or reports bad entries. */
  private static final class Problems {
    final boolean skipBad;
    int skippedAnnotations;
    int skippedImages;

    Problems(boolean skipBad) {
      this.skipBad = skipBad;
    }

    void image(CocoImage image, String problem) {
      if (!skipBad) {
        throw new UserException(
            "annotations.json: image id "
                + image.id()
                + " ("
                + image.fileName()
                + "): "
                + problem
                + "; fix it, or pass --skip-bad to leave bad images out");
      }
      skippedImages++;
      LOG.debug("skipping image id {}: {}", image.id(), problem);
    }

    void annotation(String where, String problem) {
      if (!skipBad) {
        throw new UserException(
            "annotations.json: "
                + where
                + ": "
                + problem
                + "; fix it, or pass --skip-bad to leave bad annotations out");
      }
      skippedAnnotations++;
      LOG.debug("skipping {}: {}", where, problem);
    }
  }

  /** A reason to reject one annotation. */
  private static final class BadAnnotation extends Exception {
    BadAnnotation(String message) {
      super(message, null, false, false);
    }
  }
}
