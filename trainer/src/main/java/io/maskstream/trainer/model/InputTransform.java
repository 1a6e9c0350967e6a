package io.maskstream.trainer.model;

import io.maskstream.trainer.engine.Torch;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LongArrayRef;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The input and output transform of torchvision's {@code GeneralizedRCNNTransform} in evaluation
 * and in training (one {@code min_size} per transform; several for multi-scale training, see {@link
 * #batch(List, List)}): images normalised with the ImageNet mean and standard deviation, then
 * resized bilinearly ({@code align_corners=False}) by {@code scale = min(min_size / short_side,
 * max_size / long_side)} (in float32, see {@link #scale}) to {@code floor(side * scale)}, and
 * batched with zero padding to a multiple of 32; boxes scaled by the per-axis size ratios and masks
 * resized by nearest neighbour. Detections go back to the original image's size: boxes by the
 * inverse ratios, masks pasted at the original size. Immutable and thread-safe; every tensor it
 * returns is new and owned by the caller.
 */
// each PointerScope releases the temporaries created inside it without naming them
@SuppressWarnings("try")
public final class InputTransform {
  private final int minSize;
  private final int maxSize;

  /**
   * A transform to {@code minSize} on the short side, unless that makes the long side exceed {@code
   * maxSize}.
   */
  public InputTransform(int minSize, int maxSize) {
    if (minSize <= 0 || maxSize < minSize) {
      throw new IllegalArgumentException("min_size " + minSize + ", max_size " + maxSize);
    }
    this.minSize = minSize;
    this.maxSize = maxSize;
  }

  /** The short side's target size. */
  public int minSize() {
    return minSize;
  }

  /** The long side's limit. */
  public int maxSize() {
    return maxSize;
  }

  /** This transform with another short-side size and the same long-side limit. */
  public InputTransform withMinSize(int size) {
    return new InputTransform(size, maxSize);
  }

  /**
   * The resize factor of an image, in float32 as torchvision computes it: {@code min_size /
   * short_side} on a float32 tensor is {@code reciprocal(short_side) * min_size}, two roundings,
   * which decides the floor of the output size (480 x 640 becomes 800 x 1066, not 799 x 1066).
   */
  public float scale(int height, int width) {
    float shortSide = Math.min(height, width);
    float longSide = Math.max(height, width);
    return Math.min((1f / shortSide) * minSize, (1f / longSide) * maxSize);
  }

  /** The size {@code {height, width}} an image of the given size is resized to. */
  public int[] resizedSize(int height, int width) {
    double scale = scale(height, width);
    return new int[] {(int) Math.floor(height * scale), (int) Math.floor(width * scale)};
  }

  /** An RGB image {@code [3, H, W]} in [0, 1], normalised and resized: {@code [3, h, w]}. */
  public Tensor image(Tensor image) {
    int[] size = resizedSize((int) image.size(1), (int) image.size(2));
    try (PointerScope scope = new PointerScope()) {
      Tensor normalised = MaskRcnn.normalize(image).unsqueeze(0);
      Tensor resized = torch.upsample_bilinear2d(normalised, new long[] {size[0], size[1]}, false);
      return BoxOps.keep(resized.squeeze(0));
    }
  }

  /** Object masks {@code [G, H, W]} (float32 0/1) resized by nearest neighbour to {@code size}. */
  public static Tensor masks(Tensor masks, int[] size) {
    try (PointerScope scope = new PointerScope()) {
      if (masks.size(0) == 0) {
        return BoxOps.keep(torch.zeros(0, size[0], size[1]));
      }
      // the array reference does not own its values: they live in the pointer until the scope ends
      LongPointer dims = new LongPointer(size[0], size[1]);
      Tensor resized = torch.upsample_nearest2d(masks.unsqueeze(1), new LongArrayRef(dims, 2));
      return BoxOps.keep(resized.squeeze(1));
    }
  }

  /**
   * Boxes {@code [N, 4]} of an image of size {@code from} in an image of size {@code to} ({@code
   * {height, width}}): x scaled by {@code to_w / from_w} and y by {@code to_h / from_h}, in
   * float32.
   */
  public static Tensor boxes(Tensor boxes, int[] from, int[] to) {
    float ratioHeight = (float) to[0] / (float) from[0];
    float ratioWidth = (float) to[1] / (float) from[1];
    float[] b = Torch.toFloats(boxes);
    for (int i = 0; i < b.length; i += 4) {
      b[i] *= ratioWidth;
      b[i + 1] *= ratioHeight;
      b[i + 2] *= ratioWidth;
      b[i + 3] *= ratioHeight;
    }
    return Torch.floats(b, b.length / 4, 4);
  }

  /**
   * Images {@code [3, H_i, W_i]} in [0, 1] of any sizes as the model's padded, normalised batch.
   */
  public Batch batch(List<Tensor> images) {
    return batch(images, Collections.nCopies(images.size(), this));
  }

  /**
   * Images {@code [3, H_i, W_i]} in [0, 1] as one padded, normalised batch, image {@code i} resized
   * by {@code transforms[i]}: torchvision's multi-scale training, where each image of a batch gets
   * its own {@code min_size}.
   */
  public static Batch batch(List<Tensor> images, List<InputTransform> transforms) {
    if (images.size() != transforms.size()) {
      throw new IllegalArgumentException(
          images.size() + " images but " + transforms.size() + " transforms");
    }
    List<int[]> originals = new ArrayList<>();
    List<int[]> sizes = new ArrayList<>();
    try (PointerScope scope = new PointerScope()) {
      List<Tensor> resized = new ArrayList<>();
      for (int i = 0; i < images.size(); i++) {
        Tensor image = images.get(i);
        originals.add(new int[] {(int) image.size(1), (int) image.size(2)});
        Tensor r = BoxOps.adopt(transforms.get(i).image(image));
        sizes.add(new int[] {(int) r.size(1), (int) r.size(2)});
        resized.add(r);
      }
      return new Batch(BoxOps.keep(MaskRcnn.batch(resized)), sizes, originals);
    }
  }

  /**
   * Detections of a resized image back at its original size: boxes scaled by the per-axis ratios,
   * masks {@code [K, 1, M, M]} pasted into {@code [K, 1, H, W]} at the scaled boxes. Closes {@code
   * found}.
   *
   * @param resized the size the model saw, {@code {height, width}}
   * @param original the image's own size
   */
  public static Detections postprocess(Detections found, int[] resized, int[] original) {
    Tensor boxes = boxes(found.boxes(), resized, original);
    Tensor masks =
        found.masks() == null
            ? null
            : MaskPaster.paste(found.masks(), boxes, original[0], original[1]);
    found.boxes().close();
    if (found.masks() != null) {
      found.masks().close();
    }
    return new Detections(boxes, found.scores(), found.labels(), masks);
  }

  /**
   * A batch ready for the model. Closing it closes the images.
   *
   * @param images {@code [B, 3, H, W]} normalised, zero-padded to multiples of 32
   * @param sizes per image, {@code {height, width}} after resizing (before padding)
   * @param originalSizes per image, {@code {height, width}} before resizing
   */
  public record Batch(Tensor images, List<int[]> sizes, List<int[]> originalSizes)
      implements AutoCloseable {
    /** Copies the lists. */
    public Batch {
      sizes = List.copyOf(sizes);
      originalSizes = List.copyOf(originalSizes);
    }

    @Override
    public void close() {
      images.close();
    }
  }
}
