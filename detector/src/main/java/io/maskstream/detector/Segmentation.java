package io.maskstream.detector;

import java.util.List;
import java.util.Objects;

/**
 * Everything a model found in one image. Immutable; the instances are in descending score order.
 *
 * @param width image width in pixels
 * @param height image height in pixels
 * @param instances the objects found, best first
 * @param model the model that produced them
 * @param times where the time went
 * @param keypoints the names and skeleton of the instances' keypoints ({@link KeypointLayout#NONE}
 *     for a model without them)
 */
public record Segmentation(
    int width,
    int height,
    List<Instance> instances,
    ModelIdentity model,
    StageTimes times,
    KeypointLayout keypoints) {
  /** Copies the instance list. */
  public Segmentation {
    instances = List.copyOf(instances);
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(times, "times");
    Objects.requireNonNull(keypoints, "keypoints");
  }

  /** What a model without keypoints found. */
  public Segmentation(
      int width, int height, List<Instance> instances, ModelIdentity model, StageTimes times) {
    this(width, height, instances, model, times, KeypointLayout.NONE);
  }
}
