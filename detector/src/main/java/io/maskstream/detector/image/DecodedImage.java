package io.maskstream.detector.image;

/**
 * An 8-bit colour image in memory: interleaved BGR, row-major ({@code bgr[(y * width + x) * 3 +
 * c]}, c = 0 blue, 1 green, 2 red), the layout OpenCV decodes into. Owns its array; not copied on
 * access, so callers must not modify it.
 *
 * <p>The pixels may be a downscaled copy of a larger frame ({@link FrameLimits}): {@code
 * frameWidth} x {@code frameHeight} is then the frame's own size, in which results are reported.
 *
 * @param width width of the pixels
 * @param height height of the pixels
 * @param bgr the pixels
 * @param frameWidth width of the frame the pixels show, at least {@code width}
 * @param frameHeight height of the frame the pixels show, at least {@code height}
 */
public record DecodedImage(int width, int height, byte[] bgr, int frameWidth, int frameHeight) {
  /** Checks that the array holds exactly {@code width * height * 3} bytes. */
  public DecodedImage {
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException("empty image " + width + "x" + height);
    }
    if ((long) width * height * 3 != bgr.length) {
      throw new IllegalArgumentException(
          "expected " + ((long) width * height * 3) + " bytes for " + width + "x" + height);
    }
    if (frameWidth < width || frameHeight < height) {
      throw new IllegalArgumentException(
          "frame "
              + frameWidth
              + "x"
              + frameHeight
              + " smaller than its pixels "
              + width
              + "x"
              + height);
    }
  }

  /** An image shown at its own size. */
  public DecodedImage(int width, int height, byte[] bgr) {
    this(width, height, bgr, width, height);
  }

  /** Whether the pixels are a downscaled copy of the frame. */
  public boolean downscaled() {
    return width != frameWidth || height != frameHeight;
  }
}
