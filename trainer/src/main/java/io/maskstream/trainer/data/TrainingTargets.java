package io.maskstream.trainer.data;

import io.maskstream.trainer.engine.Torch;
import io.maskstream.trainer.model.GroundTruth;
import io.maskstream.trainer.model.InputTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * Turns dataset samples into training tensors as torchvision's reference detection training does:
 * the image as float32 RGB in [0, 1] ({@code to_tensor}), crowd regions left out ({@code iscrowd ==
 * 1}), boxes clamped to the image and those without width or height dropped ({@code
 * ConvertCocoPolysToMask}), an optional horizontal flip of image, boxes ({@code x1' = W - x2}) and
 * masks ({@code RandomHorizontalFlip}), and images without a usable annotation left out of training
 * ({@code _coco_remove_images_without_annotations}). Stateless.
 */
public final class TrainingTargets {
  private TrainingTargets() {}

  /**
   * Whether torchvision's training keeps the image: it has an annotation (crowd regions count)
   * whose box is wider and taller than one pixel.
   */
  public static boolean usable(Sample sample) {
    for (Instance instance : sample.instances()) {
      double[] b = instance.box();
      if (b[2] - b[0] > 1 && b[3] - b[1] > 1) {
        return true;
      }
    }
    return false;
  }

  /** The samples torchvision's training keeps ({@link #usable}), in order. */
  public static List<Sample> usable(List<Sample> samples) {
    List<Sample> out = new ArrayList<>();
    for (Sample s : samples) {
      if (usable(s)) {
        out.add(s);
      }
    }
    return out;
  }

  /**
   * An image and its objects at the image's own size.
   *
   * @param image {@code [3, H, W]} float32 RGB in [0, 1]
   * @param target the non-crowd objects, masks {@code [G, H, W]}
   */
  public record Example(long imageId, Tensor image, GroundTruth target) implements AutoCloseable {
    @Override
    public void close() {
      image.close();
      target.boxes().close();
      target.masks().close();
      if (target.keypoints() != null) {
        target.keypoints().close();
      }
    }
  }

  /**
   * Reads the sample's image and builds its tensors, mirrored left to right when {@code flip}.
   *
   * @throws UncheckedIOException naming the image if it cannot be read, or if its size differs from
   *     the annotation file's
   */
  public static Example example(Sample sample, boolean flip) {
    BufferedImage rgb;
    try {
      rgb = sample.readRgb();
    } catch (IOException e) {
      throw new UncheckedIOException("image " + sample.imageId() + " (" + sample.file() + ")", e);
    }
    int width = sample.width();
    int height = sample.height();
    if (rgb.getWidth() != width || rgb.getHeight() != height) {
      throw new UncheckedIOException(
          new IOException(
              "image "
                  + sample.imageId()
                  + " ("
                  + sample.file()
                  + ") is "
                  + rgb.getWidth()
                  + "x"
                  + rgb.getHeight()
                  + ", the annotations say "
                  + width
                  + "x"
                  + height));
    }
    return example(
        sample.imageId(),
        pixels(rgb),
        width,
        height,
        sample.instances(),
        flip,
        sample.keypoints() == null ? null : sample.keypoints().flip());
  }

  /**
   * Builds the tensors of an image given as packed RGB pixels ({@code 0xRRGGBB}, row-major).
   *
   * @param instances the image's objects, crowd regions included (they are left out here)
   */
  public static Example example(
      long imageId, int[] rgb, int width, int height, List<Instance> instances, boolean flip) {
    return example(imageId, rgb, width, height, instances, flip, null);
  }

  /**
   * Builds the tensors of an image given as packed RGB pixels ({@code 0xRRGGBB}, row-major), with
   * the objects' keypoints when {@code keypointFlip} is given: mirrored as torchvision's {@code
   * _flip_coco_person_keypoints} mirrors them ({@code x' = W - x}, each keypoint taking its
   * partner's place, unlabelled ones all 0).
   *
   * @param instances the image's objects, crowd regions included (they are left out here)
   * @param keypointFlip the dataset's {@link KeypointSpec#flip}, or {@code null} without keypoints
   */
  public static Example example(
      long imageId,
      int[] rgb,
      int width,
      int height,
      List<Instance> instances,
      boolean flip,
      int[] keypointFlip) {
    int plane = width * height;
    float[] image = new float[3 * plane];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int p = rgb[y * width + (flip ? width - 1 - x : x)];
        int at = y * width + x;
        image[at] = ((p >> 16) & 0xff) / 255f;
        image[plane + at] = ((p >> 8) & 0xff) / 255f;
        image[2 * plane + at] = (p & 0xff) / 255f;
      }
    }
    List<float[]> boxes = new ArrayList<>();
    List<Long> labels = new ArrayList<>();
    List<byte[]> masks = new ArrayList<>();
    List<float[]> keypoints = new ArrayList<>();
    for (Instance instance : instances) {
      if (instance.crowd()) {
        continue;
      }
      double[] b = instance.box();
      // torchvision clamps float32 boxes to the image and drops the empty ones
      float x1 = Math.min(Math.max((float) b[0], 0f), width);
      float y1 = Math.min(Math.max((float) b[1], 0f), height);
      float x2 = Math.min(Math.max((float) b[2], 0f), width);
      float y2 = Math.min(Math.max((float) b[3], 0f), height);
      if (!(x2 > x1 && y2 > y1)) {
        continue;
      }
      if (instance.mask().height() != height || instance.mask().width() != width) {
        throw new IllegalArgumentException(
            "annotation "
                + instance.annotationId()
                + " of image "
                + imageId
                + " has a "
                + instance.mask().width()
                + "x"
                + instance.mask().height()
                + " mask on a "
                + width
                + "x"
                + height
                + " image");
      }
      boxes.add(flip ? new float[] {width - x2, y1, width - x1, y2} : new float[] {x1, y1, x2, y2});
      labels.add((long) instance.label());
      masks.add(instance.mask().decodeRowMajor());
      if (keypointFlip != null) {
        keypoints.add(keypoints(instance, keypointFlip, flip ? width : -1));
      }
    }
    int g = boxes.size();
    float[] boxData = new float[4 * g];
    float[] maskData = new float[g * plane];
    long[] labelData = new long[g];
    for (int i = 0; i < g; i++) {
      System.arraycopy(boxes.get(i), 0, boxData, 4 * i, 4);
      labelData[i] = labels.get(i);
      byte[] m = masks.get(i);
      for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
          maskData[i * plane + y * width + x] = m[y * width + (flip ? width - 1 - x : x)];
        }
      }
    }
    Tensor imageTensor = Torch.floats(image, 3, height, width);
    Tensor boxTensor = Torch.floats(boxData, g, 4);
    Tensor maskTensor = Torch.floats(maskData, g, height, width);
    Tensor keypointTensor = null;
    if (keypointFlip != null) {
      int k = keypointFlip.length;
      float[] keypointData = new float[g * k * 3];
      for (int i = 0; i < g; i++) {
        System.arraycopy(keypoints.get(i), 0, keypointData, i * k * 3, k * 3);
      }
      keypointTensor = Torch.floats(keypointData, g, k, 3);
    }
    return new Example(
        imageId, imageTensor, new GroundTruth(boxTensor, labelData, maskTensor, keypointTensor));
  }

  /** An object's keypoints {@code [K * 3]}, mirrored in an image {@code width} wide when >= 0. */
  private static float[] keypoints(Instance instance, int[] flip, int width) {
    float[] k = instance.keypoints();
    int count = flip.length;
    if (k == null || k.length != 3 * count) {
      throw new IllegalArgumentException(
          "annotation "
              + instance.annotationId()
              + " has "
              + (k == null ? "no" : k.length / 3 + "")
              + " keypoints, the dataset "
              + count);
    }
    if (width < 0) {
      return k.clone();
    }
    float[] out = new float[3 * count];
    for (int j = 0; j < count; j++) {
      int from = 3 * flip[j];
      if (k[from + 2] != 0) {
        out[3 * j] = width - k[from];
        out[3 * j + 1] = k[from + 1];
        out[3 * j + 2] = k[from + 2];
      }
    }
    return out;
  }

  /**
   * The example resized for the model as its input transform resizes it: boxes scaled per axis,
   * masks resized by nearest neighbour. The example stays the caller's.
   *
   * @return the resized objects; the image is resized with the whole batch by {@link
   *     InputTransform#batch}
   */
  public static GroundTruth resized(Example example, InputTransform transform) {
    int[] original = {(int) example.image().size(1), (int) example.image().size(2)};
    int[] size = transform.resizedSize(original[0], original[1]);
    GroundTruth t = example.target();
    return new GroundTruth(
        InputTransform.boxes(t.boxes(), original, size),
        t.labels(),
        InputTransform.masks(t.masks(), size),
        t.keypoints() == null ? null : InputTransform.keypoints(t.keypoints(), original, size));
  }

  private static int[] pixels(BufferedImage rgb) {
    return rgb.getRGB(0, 0, rgb.getWidth(), rgb.getHeight(), null, 0, rgb.getWidth());
  }
}
