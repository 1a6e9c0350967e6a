package io.maskstream.trainer.shapes;

import java.awt.image.BufferedImage;
import java.util.List;

/**
 * A rendered shapes image with its ground truth; the caller owns the image.
 *
 * @param image the RGB image
 * @param objects the visible objects, back to front
 */
public record ShapesImage(BufferedImage image, List<ShapesObject> objects) {
  /** Copies the list. */
  public ShapesImage {
    objects = List.copyOf(objects);
  }
}
