package io.maskstream.detector.image;

/**
 * An 8-bit colour image in memory: interleaved BGR, row-major ({@code bgr[(y * width + x) * 3 +
 * c]}, c = 0 blue, 1 green, 2 red), the layout OpenCV decodes into. Owns its array; not copied on
 * access, so callers must not modify it.
 *
 * @param width width in pixels
 * @param height height in pixels
 * @param bgr the pixels
 */
public record DecodedImage(int width, int height, byte[] bgr) {
  /** Checks that the array holds exactly {@code width * height * 3} bytes. */
  public DecodedImage {
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException("empty image " + width + "x" + height);
    }
    if (bgr.length != width * height * 3) {
      throw new IllegalArgumentException(
          "expected " + (width * height * 3) + " bytes for " + width + "x" + height);
    }
  }
}
