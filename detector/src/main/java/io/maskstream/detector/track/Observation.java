package io.maskstream.detector.track;

import io.maskstream.detector.Instance;
import io.maskstream.detector.Segmentation;
import io.maskstream.schemas.rle.CocoRle;
import java.util.ArrayList;
import java.util.List;
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

  /** The detections of one frame as the tracker sees them, in their order. */
  public static List<Observation> of(Segmentation segmentation) {
    List<Observation> out = new ArrayList<>(segmentation.instances().size());
    for (Instance i : segmentation.instances()) {
      out.add(
          new Observation(
              i.label(), i.score(), new double[] {i.x1(), i.y1(), i.x2(), i.y2()}, i.mask()));
    }
    return out;
  }
}
