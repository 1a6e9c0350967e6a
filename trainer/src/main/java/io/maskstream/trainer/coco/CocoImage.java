package io.maskstream.trainer.coco;

/** An entry of {@code images} in a COCO annotations file: an immutable value. */
public record CocoImage(long id, int width, int height, String fileName) {}
