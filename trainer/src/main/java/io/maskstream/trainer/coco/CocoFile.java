package io.maskstream.trainer.coco;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The content of a COCO instances annotations file, entries in file order. Immutable.
 *
 * @param images the {@code images}
 * @param categories the {@code categories}
 * @param annotations the {@code annotations}, as read (see {@link CocoAnnotation#defects()})
 */
public record CocoFile(
    List<CocoImage> images, List<CocoCategory> categories, List<CocoAnnotation> annotations) {

  /** Copies the lists. */
  public CocoFile {
    images = List.copyOf(images);
    categories = List.copyOf(categories);
    annotations = List.copyOf(annotations);
  }

  /** The images by id, in file order (the last entry wins for a repeated id, as in pycocotools). */
  public Map<Long, CocoImage> imagesById() {
    Map<Long, CocoImage> byId = new LinkedHashMap<>();
    for (CocoImage image : images) {
      byId.put(image.id(), image);
    }
    return byId;
  }

  /** The categories by id, in file order. */
  public Map<Long, CocoCategory> categoriesById() {
    Map<Long, CocoCategory> byId = new LinkedHashMap<>();
    for (CocoCategory category : categories) {
      byId.put(category.id(), category);
    }
    return byId;
  }
}
