package io.maskstream.trainer.data;

/**
 * A class of a dataset: its COCO category id and name and the contiguous label the model uses.
 * Immutable.
 *
 * @param label 1..K, in the order of ascending category id (0 is background)
 * @param categoryId the COCO category id
 * @param name the category name
 */
public record DatasetCategory(int label, long categoryId, String name) {}
