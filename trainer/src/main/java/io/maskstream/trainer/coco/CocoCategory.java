package io.maskstream.trainer.coco;

import java.util.List;

/**
 * An entry of {@code categories} in a COCO annotations file: an immutable value.
 *
 * @param keypoints the category's keypoint names ({@code keypoints}), empty when it has none
 * @param skeleton its {@code skeleton}: pairs of 1-based keypoint numbers
 * @param flipMap its {@code flip_map}: pairs of keypoint names a horizontal flip swaps (empty when
 *     the file gives none)
 */
public record CocoCategory(
    long id,
    String name,
    String supercategory,
    List<String> keypoints,
    List<List<Integer>> skeleton,
    List<List<String>> flipMap) {

  /** Copies the lists. */
  public CocoCategory {
    keypoints = List.copyOf(keypoints);
    skeleton = skeleton.stream().map(List::copyOf).toList();
    flipMap = flipMap.stream().map(List::copyOf).toList();
  }

  /** A category without keypoints. */
  public CocoCategory(long id, String name, String supercategory) {
    this(id, name, supercategory, List.of(), List.of(), List.of());
  }
}
