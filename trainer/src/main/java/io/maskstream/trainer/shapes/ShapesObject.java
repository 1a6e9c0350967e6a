package io.maskstream.trainer.shapes;

import io.maskstream.schemas.rle.CocoRle;

/**
 * An object as drawn in a shapes image: its class, colour and visible mask (what the objects in
 * front leave of it). Immutable.
 *
 * @param kind the class
 * @param color the fill colour, {@code 0xRRGGBB}
 * @param mask the visible pixels at the image's size
 * @param trackId in a clip, the object's id across frames (from 1); 0 in a still image
 * @param keypoints its {@link ShapeKeypoints} {@code [x1, y1, v1, ...]}, or null when not known
 */
public record ShapesObject(
    ShapeKind kind, int color, CocoRle mask, int trackId, double[] keypoints) {
  /** An object of a still image (track id 0) without keypoints. */
  public ShapesObject(ShapeKind kind, int color, CocoRle mask) {
    this(kind, color, mask, 0, null);
  }

  /** An object without keypoints. */
  public ShapesObject(ShapeKind kind, int color, CocoRle mask, int trackId) {
    this(kind, color, mask, trackId, null);
  }
}
