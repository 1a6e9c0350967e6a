package io.maskstream.trainer.shapes;

/**
 * How synthetic shapes images and clips look. Immutable; {@link #defaults()} holds the defaults.
 *
 * @param minSide smallest image width or height, pixels
 * @param maxSide largest image width or height, pixels
 * @param minObjects fewest objects per image
 * @param maxObjects most objects per image
 * @param minVisiblePixels an object of a still image is dropped (not drawn) when fewer of its
 *     pixels than this, or than a fifth of its area, stay visible under the objects in front
 * @param videoWidth clip frame width
 * @param videoHeight clip frame height
 * @param fps clip frame rate
 */
public record ShapesConfig(
    int minSide,
    int maxSide,
    int minObjects,
    int maxObjects,
    int minVisiblePixels,
    int videoWidth,
    int videoHeight,
    double fps) {

  /** Checks the ranges. */
  public ShapesConfig {
    if (minSide < 32 || maxSide < minSide) {
      throw new IllegalArgumentException(
          "image sides must satisfy 32 <= min <= max, got " + minSide + ".." + maxSide);
    }
    if (minObjects < 0 || maxObjects < minObjects || maxObjects > 200) {
      throw new IllegalArgumentException(
          "objects per image must satisfy 0 <= min <= max <= 200, got "
              + minObjects
              + ".."
              + maxObjects);
    }
    if (videoWidth < 32 || videoHeight < 32 || videoWidth % 2 != 0 || videoHeight % 2 != 0) {
      throw new IllegalArgumentException(
          "clip frames must be even-sized and at least 32x32, got "
              + videoWidth
              + "x"
              + videoHeight);
    }
    if (!(fps > 0)) {
      throw new IllegalArgumentException("fps must be positive, got " + fps);
    }
  }

  /** Images 192..320 px a side with 1..5 objects; clips 320x240 at 10 fps. */
  public static ShapesConfig defaults() {
    return new ShapesConfig(192, 320, 1, 5, 40, 320, 240, 10);
  }
}
