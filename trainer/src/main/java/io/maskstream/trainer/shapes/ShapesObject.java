package io.maskstream.trainer.shapes;

import io.maskstream.schemas.rle.CocoRle;

/**
 * An object as drawn in a shapes image: its class, colour and visible mask (what the objects in
 * front leave of it). Immutable.
 *
 * @param kind the class
 * @param color the fill colour, {@code 0xRRGGBB}
 * @param mask the visible pixels at the image's size
 */
public record ShapesObject(ShapeKind kind, int color, CocoRle mask) {}
