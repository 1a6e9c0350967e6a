package io.maskstream.trainer.model;

import static io.maskstream.trainer.export.OnnxGraph.DOUBLE;
import static io.maskstream.trainer.export.OnnxGraph.FLOAT;
import static io.maskstream.trainer.export.OnnxGraph.INT64;
import static io.maskstream.trainer.export.OnnxGraph.attr;

import io.maskstream.trainer.engine.Torch;
import io.maskstream.trainer.export.GraphContext;
import io.maskstream.trainer.export.OnnxGraph;
import java.util.ArrayList;
import java.util.Arrays;
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
 * #batch(List, List)}): images normalised with a per-channel mean and standard deviation
 * (ImageNet's unless given), then resized bilinearly ({@code align_corners=False}) by {@code scale
 * = min(min_size / short_side, max_size / long_side)} (in float32, see {@link #scale}) to {@code
 * floor(side * scale)}, and batched with zero padding to a multiple of {@code size_divisible} (32
 * unless given); boxes scaled by the per-axis size ratios and masks resized by nearest neighbour.
 * Detections go back to the original image's size: boxes by the inverse ratios, masks pasted at the
 * original size. The same settings write the transform into an exported graph ({@link #export}).
 * Immutable and thread-safe; every tensor it returns is new and owned by the caller.
 */
// each PointerScope releases the temporaries created inside it without naming them
@SuppressWarnings("try")
public final class InputTransform {
  /** ImageNet's per-channel mean of RGB values in [0, 1], as torchvision normalises with. */
  private static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};

  /** ImageNet's per-channel standard deviation of RGB values in [0, 1]. */
  private static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

  /** torchvision's {@code size_divisible}: batches padded to a multiple of 32. */
  private static final int SIZE_DIVISIBLE = 32;

  private final int minSize;
  private final int maxSize;
  private final float[] mean;
  private final float[] std;
  private final int sizeDivisible;

  /**
   * A transform to {@code minSize} on the short side, unless that makes the long side exceed {@code
   * maxSize}, with ImageNet's mean and standard deviation and padding to a multiple of 32.
   */
  public InputTransform(int minSize, int maxSize) {
    this(minSize, maxSize, IMAGENET_MEAN, IMAGENET_STD, SIZE_DIVISIBLE);
  }

  /**
   * A transform to {@code minSize} on the short side, unless that makes the long side exceed {@code
   * maxSize}, normalising RGB by {@code (x - mean) / std} per channel and padding batches to a
   * multiple of {@code sizeDivisible}.
   */
  public InputTransform(int minSize, int maxSize, float[] mean, float[] std, int sizeDivisible) {
    if (minSize <= 0 || maxSize < minSize) {
      throw new IllegalArgumentException("min_size " + minSize + ", max_size " + maxSize);
    }
    if (mean.length != 3 || std.length != 3) {
      throw new IllegalArgumentException("mean and std need one value per RGB channel");
    }
    for (float s : std) {
      if (!(s > 0)) {
        throw new IllegalArgumentException("std must be positive: " + Arrays.toString(std));
      }
    }
    if (sizeDivisible <= 0) {
      throw new IllegalArgumentException("size_divisible " + sizeDivisible);
    }
    this.minSize = minSize;
    this.maxSize = maxSize;
    this.mean = mean.clone();
    this.std = std.clone();
    this.sizeDivisible = sizeDivisible;
  }

  /** The short side's target size. */
  public int minSize() {
    return minSize;
  }

  /** The long side's limit. */
  public int maxSize() {
    return maxSize;
  }

  /** The per-channel mean subtracted from RGB values in [0, 1]. */
  public float[] mean() {
    return mean.clone();
  }

  /** The per-channel standard deviation RGB values are divided by after the mean. */
  public float[] std() {
    return std.clone();
  }

  /** The multiple that a batch's height and width are padded to. */
  public int sizeDivisible() {
    return sizeDivisible;
  }

  /** This transform with another short-side size and the same other settings. */
  public InputTransform withMinSize(int size) {
    return new InputTransform(size, maxSize, mean, std, sizeDivisible);
  }

  /** {@code (image - mean) / std} per channel of RGB images {@code [.., 3, H, W]} in [0, 1]. */
  public Tensor normalize(Tensor images) {
    try (Tensor m = Torch.floats(mean, 3, 1, 1);
        Tensor s = Torch.floats(std, 3, 1, 1);
        Tensor centred = images.sub(m)) {
      return centred.div(s);
    }
  }

  /**
   * The images {@code [3, H_i, W_i]} in one zero-padded batch {@code [B, 3, H, W]}, H and W the
   * largest sizes rounded up to a multiple of {@link #sizeDivisible}.
   */
  public Tensor pad(List<Tensor> images) {
    return pad(images, sizeDivisible);
  }

  private static Tensor pad(List<Tensor> images, int sizeDivisible) {
    long height = 0;
    long width = 0;
    for (Tensor image : images) {
      height = Math.max(height, image.size(1));
      width = Math.max(width, image.size(2));
    }
    height = (height + sizeDivisible - 1) / sizeDivisible * sizeDivisible;
    width = (width + sizeDivisible - 1) / sizeDivisible * sizeDivisible;
    Tensor out = torch.zeros(images.size(), 3, height, width);
    try (PointerScope scope = new PointerScope()) {
      for (int i = 0; i < images.size(); i++) {
        Tensor image = images.get(i);
        // in-place: returns the view itself, released with the scope
        out.select(0, i).narrow(1, 0, image.size(1)).narrow(2, 0, image.size(2)).copy_(image);
      }
    }
    return out;
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
      Tensor normalised = normalize(image).unsqueeze(0);
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
   * Keypoints {@code [N, K, 3]} of an image of size {@code from} in an image of size {@code to}, as
   * torchvision's {@code resize_keypoints}: x scaled by {@code to_w / from_w}, y by {@code to_h /
   * from_h} (float32), the third column unchanged.
   */
  public static Tensor keypoints(Tensor keypoints, int[] from, int[] to) {
    float ratioHeight = (float) to[0] / (float) from[0];
    float ratioWidth = (float) to[1] / (float) from[1];
    float[] k = Torch.toFloats(keypoints);
    for (int i = 0; i < k.length; i += 3) {
      k[i] *= ratioWidth;
      k[i + 1] *= ratioHeight;
    }
    return Torch.floats(k, keypoints.shape());
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
   * its own {@code min_size}. The transforms must pad to the same multiple.
   */
  public static Batch batch(List<Tensor> images, List<InputTransform> transforms) {
    if (images.size() != transforms.size()) {
      throw new IllegalArgumentException(
          images.size() + " images but " + transforms.size() + " transforms");
    }
    int divisible = transforms.isEmpty() ? SIZE_DIVISIBLE : transforms.get(0).sizeDivisible;
    for (InputTransform t : transforms) {
      if (t.sizeDivisible != divisible) {
        throw new IllegalArgumentException(
            "one batch pads to one multiple: " + divisible + " and " + t.sizeDivisible);
      }
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
      return new Batch(BoxOps.keep(pad(resized, divisible)), sizes, originals);
    }
  }

  /**
   * Detections of a resized image back at its original size: boxes and keypoints scaled by the
   * per-axis ratios, masks {@code [K, 1, M, M]} pasted into {@code [K, 1, H, W]} at the scaled
   * boxes. Closes {@code found}.
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
    Tensor keypoints =
        found.keypoints() == null ? null : keypoints(found.keypoints(), resized, original);
    found.boxes().close();
    if (found.masks() != null) {
      found.masks().close();
    }
    if (found.keypoints() != null) {
      found.keypoints().close();
    }
    return new Detections(
        boxes, found.scores(), found.labels(), masks, keypoints, found.keypointScores());
  }

  /**
   * {@link #postprocess} for one image's detections in an exported graph: boxes {@code [D, 4]} and
   * keypoints {@code [D, K, 3]} of the resized image scaled to the original one (x by W / w, y by H
   * / h, in float32), and masks {@code [D, 1, M, M]} pasted into {@code [D, 1, H, W]} at the scaled
   * boxes ({@link MaskPaster#export}).
   *
   * @param masks the masks, or null for a model without them
   * @param keypoints the keypoints, or null for a model without them
   */
  public static Restored exportPostprocess(
      GraphContext ctx,
      Exported image,
      String boxes,
      String masks,
      int maskSize,
      String keypoints) {
    OnnxGraph g = ctx.graph();
    String rh = g.div(g.cast(image.height(), FLOAT), g.cast(image.resizedHeight(), FLOAT));
    String rw = g.div(g.cast(image.width(), FLOAT), g.cast(image.resizedWidth(), FLOAT));
    String scaled = g.mul(boxes, g.concat(0, rw, rh, rw, rh));
    return new Restored(
        scaled,
        masks == null
            ? null
            : MaskPaster.export(ctx, masks, maskSize, scaled, image.height(), image.width()),
        keypoints == null ? null : g.mul(keypoints, g.concat(0, rw, rh, g.vector(1f))));
  }

  /**
   * Exported detections at the image's own size.
   *
   * @param boxes {@code [D, 4]} in the image's pixels
   * @param masks {@code [D, 1, H, W]} probabilities, or null
   * @param keypoints {@code [D, K, 3]} in the image's pixels, or null
   */
  public record Restored(String boxes, String masks, String keypoints) {}

  /**
   * This transform in an exported graph, for one RGB image {@code [3, H, W]} in [0, 1] of any size:
   * normalised, resized as {@link #image} (the scale in float32 as {@link #scale}, the size {@code
   * floor(side * scale)} in double as {@code torch.nn.functional.interpolate}), and zero-padded to
   * a multiple of {@link #sizeDivisible} as {@link #pad}.
   */
  public Exported export(GraphContext ctx, String image) {
    OnnxGraph g = ctx.graph();
    String imageH = g.dim(image, 1);
    String imageW = g.dim(image, 2);
    String normalised =
        g.div(g.sub(image, g.floats("mean", mean, 3, 1, 1)), g.floats("std", std, 3, 1, 1));
    // scale: min(min_size * (1 / short), max_size * (1 / long)) in float32
    String h = g.cast(imageH, FLOAT);
    String w = g.cast(imageW, FLOAT);
    String one = g.scalar(1f);
    String byShort = g.mul(g.div(one, g.min(h, w)), g.scalar((float) minSize));
    String byLong = g.mul(g.div(one, g.max(h, w)), g.scalar((float) maxSize));
    String scale = g.cast(g.min(byShort, byLong), DOUBLE);
    String resizedH = g.cast(g.op("Floor", g.mul(g.cast(imageH, DOUBLE), scale)), INT64);
    String resizedW = g.cast(g.op("Floor", g.mul(g.cast(imageW, DOUBLE), scale)), INT64);
    String sizes = g.concat(0, g.vector(1, 3), resizedH, resizedW);
    // upsample_bilinear2d(align_corners=False) is Resize linear with half_pixel coordinates
    String resized =
        g.op(
            "Resize",
            List.of(g.unsqueeze(normalised, 0), "", "", sizes),
            attr("mode", "linear"),
            attr("coordinate_transformation_mode", "half_pixel"));
    String divisible = g.scalar((long) sizeDivisible);
    String round = g.scalar((long) sizeDivisible - 1);
    String paddedH = g.mul(g.div(g.add(resizedH, round), divisible), divisible);
    String paddedW = g.mul(g.div(g.add(resizedW, round), divisible), divisible);
    String pads =
        g.concat(0, g.vector(0, 0, 0, 0, 0, 0), g.sub(paddedH, resizedH), g.sub(paddedW, resizedW));
    String rh = g.cast(resizedH, FLOAT);
    String rw = g.cast(resizedW, FLOAT);
    String limits = g.concat(0, rw, rh, rw, rh);
    String batch = g.op("Pad", List.of(resized, pads, g.scalar(0f)), attr("mode", "constant"));
    return new Exported(batch, imageH, imageW, resizedH, resizedW, paddedH, paddedW, limits);
  }

  /**
   * The tensors of an exported transform: the batch and the sizes the later stages read, each size
   * a one-element int64 vector.
   *
   * @param batch the normalised, resized, padded image {@code [1, 3, Hp, Wp]}
   * @param height the image's height H
   * @param width the image's width W
   * @param resizedHeight the resized height h
   * @param resizedWidth the resized width w
   * @param paddedHeight the padded height Hp
   * @param paddedWidth the padded width Wp
   * @param resizedLimits float {@code [w, h, w, h]}, the bounds boxes are clipped to
   */
  public record Exported(
      String batch,
      String height,
      String width,
      String resizedHeight,
      String resizedWidth,
      String paddedHeight,
      String paddedWidth,
      String resizedLimits) {}

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
