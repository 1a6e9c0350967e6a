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
 */
public record ShapesObject(ShapeKind kind, int color, CocoRle mask, int trackId) {
  /** An object of a still image (track id 0). */
  public ShapesObject(ShapeKind kind, int color, CocoRle mask) {
    this(kind, color, mask, 0);
  }
}
