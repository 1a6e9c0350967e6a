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
 */
public record Segmentation(
    int width, int height, List<Instance> instances, ModelIdentity model, StageTimes times) {
  /** Copies the instance list. */
  public Segmentation {
    instances = List.copyOf(instances);
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(times, "times");
  }
}
