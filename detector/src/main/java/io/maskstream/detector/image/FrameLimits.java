package io.maskstream.detector.image;

/**
 * How large a frame the detector takes and how large an image its model sees, so that the memory a
 * frame needs is bounded whatever arrives on the frames topic.
 *
 * <p>A frame with more than {@code maxFramePixels} pixels is refused before it is decoded. A frame
 * whose longer side exceeds {@code maxInputSide} is downscaled (aspect kept) before the model runs,
 * and its results are mapped back to the frame's size: a Mask R-CNN graph resizes its input to at
 * most 1333 pixels anyway, but pastes its masks at the size it was given, so the input size bounds
 * the model's mask memory.
 *
 * @param maxInputSide longest side of the image the model sees, in pixels
 * @param maxFramePixels largest frame taken, in pixels (width x height)
 */
public record FrameLimits(int maxInputSide, long maxFramePixels) {
  /** Torchvision's Mask R-CNN resizes to at most this longest side. */
  public static final int DEFAULT_MAX_INPUT_SIDE = 1333;

  /** 64 megapixels: an 8K frame (33 MP) and then some. */
  public static final long DEFAULT_MAX_FRAME_PIXELS = 64L * 1000 * 1000;

  /** The defaults. */
  public static final FrameLimits DEFAULTS =
      new FrameLimits(DEFAULT_MAX_INPUT_SIDE, DEFAULT_MAX_FRAME_PIXELS);

  /** Checks the ranges. */
  public FrameLimits {
    if (maxInputSide < 32) {
      throw new IllegalArgumentException("max input side must be >= 32, got " + maxInputSide);
    }
    if (maxFramePixels < 1) {
      throw new IllegalArgumentException("max frame pixels must be >= 1, got " + maxFramePixels);
    }
  }

  /**
   * The size the model sees for a {@code width} x {@code height} frame: the frame's own size, or
   * scaled down so that its longer side is {@link #maxInputSide} (each side at least 1).
   *
   * @return {width, height}
   */
  public int[] inputSize(int width, int height) {
    int longer = Math.max(width, height);
    if (longer <= maxInputSide) {
      return new int[] {width, height};
    }
    double scale = (double) maxInputSide / longer;
    return new int[] {
      Math.max(1, (int) Math.round(width * scale)), Math.max(1, (int) Math.round(height * scale))
    };
  }

  /** Whether a {@code width} x {@code height} frame is over the pixel limit. */
  public boolean tooLarge(long width, long height) {
    return width * height > maxFramePixels;
  }
}
