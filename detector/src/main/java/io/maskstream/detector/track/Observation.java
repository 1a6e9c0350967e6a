package io.maskstream.detector.track;

import io.maskstream.schemas.rle.CocoRle;
import java.util.Objects;

/**
 * One detection as the tracker sees it.
 *
 * @param label class name (tracks only continue with detections of their label)
 * @param score confidence in [0, 1]
 * @param box {@code [x1, y1, x2, y2]} in frame pixels
 * @param mask the instance mask at frame size, or null when there is none
 */
public record Observation(String label, float score, double[] box, CocoRle mask) {
  /** Checks the parts. */
  public Observation {
    Objects.requireNonNull(label, "label");
    if (box.length != 4) {
      throw new IllegalArgumentException("a box has 4 coordinates");
    }
  }
}
