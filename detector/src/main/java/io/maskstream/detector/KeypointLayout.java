package io.maskstream.detector;

import java.util.List;

/**
 * The keypoints a model with a keypoint head finds on every object: their names in output order and
 * the skeleton drawn between them. Immutable.
 *
 * @param names the keypoint names; empty for a model without keypoints
 * @param skeleton pairs of 1-based keypoint numbers, as COCO's category {@code skeleton}
 */
public record KeypointLayout(List<String> names, List<List<Integer>> skeleton) {
  /** A model without keypoints. */
  public static final KeypointLayout NONE = new KeypointLayout(List.of(), List.of());

  /** Copies the lists. */
  public KeypointLayout {
    names = List.copyOf(names);
    skeleton = skeleton.stream().map(List::copyOf).toList();
  }

  /** The number of keypoints per object. */
  public int count() {
    return names.size();
  }
}
