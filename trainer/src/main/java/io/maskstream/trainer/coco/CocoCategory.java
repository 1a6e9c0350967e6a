package io.maskstream.trainer.coco;

/** An entry of {@code categories} in a COCO annotations file: an immutable value. */
public record CocoCategory(long id, String name, String supercategory) {}
