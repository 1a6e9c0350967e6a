package io.maskstream.trainer.data;

import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * One image of a dataset with its objects. Immutable.
 *
 * @param imageId the COCO image id
 * @param file the image file
 * @param width width in pixels
 * @param height height in pixels
 * @param instances the objects, in annotation order (crowd regions included, flagged)
 * @param keypoints the dataset's keypoints (the order of each instance's), or {@code null} when it
 *     has none
 */
public record Sample(
    long imageId,
    Path file,
    int width,
    int height,
    List<Instance> instances,
    KeypointSpec keypoints) {
  /** Copies the list. */
  public Sample {
    instances = List.copyOf(instances);
  }

  /** An image of a dataset without keypoints. */
  public Sample(long imageId, Path file, int width, int height, List<Instance> instances) {
    this(imageId, file, width, height, instances, null);
  }

  /**
   * Decodes the image into a new RGB image; the caller owns it.
   *
   * @throws IOException if the file cannot be read or decoded
   */
  public BufferedImage readRgb() throws IOException {
    BufferedImage image = ImageIO.read(file.toFile());
    if (image == null) {
      throw new IOException(file + " is not an image format this JVM can decode");
    }
    if (image.getType() == BufferedImage.TYPE_INT_RGB) {
      return image;
    }
    BufferedImage rgb =
        new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = rgb.createGraphics();
    try {
      g.drawImage(image, 0, 0, null);
    } finally {
      g.dispose();
    }
    return rgb;
  }
}
