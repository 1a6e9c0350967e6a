package io.maskstream.sinks.capture;

import io.maskstream.schemas.avro.Box;
import io.maskstream.schemas.avro.Detection;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Decides which frames are worth labelling: those where the serving model is unsure (a detection
 * score inside a band) and those where a detection flickers (it has no same-class match with box
 * IoU at least {@value #MATCH_IOU} in the previous or the next frame of the same camera).
 *
 * <p>To see the next frame, each camera's frame is decided when that camera's next frame arrives: a
 * delay of one frame per camera; {@link #flush()} decides the waiting ones with no next frame. The
 * first frame of a camera has no previous one, so only its next frame can make it flicker.
 *
 * <p>Not thread-safe: owned by the capture's consumer thread.
 *
 * @param <P> the payload carried along with each frame
 */
public final class FrameSelector<P> {
  /** Box IoU from which two same-class detections of neighbouring frames are the same object. */
  public static final double MATCH_IOU = 0.5;

  // scores are floats on the wire: compared as floats, 0.6f is inside a band ending at 0.6
  private final float unsureLow;
  private final float unsureHigh;
  private final boolean flicker;
  private final Map<String, Observation<P>> previous = new HashMap<>();
  private final Map<String, Observation<P>> waiting = new HashMap<>();

  /**
   * A selector for scores in [{@code unsureLow}, {@code unsureHigh}] and, when {@code flicker},
   * detections that appear or disappear between neighbouring frames.
   */
  public FrameSelector(double unsureLow, double unsureHigh, boolean flicker) {
    if (!(unsureLow >= 0 && unsureLow <= unsureHigh && unsureHigh <= 1)) {
      throw new IllegalArgumentException(
          "the unsure band must be LOW,HIGH with 0 <= LOW <= HIGH <= 1, got "
              + unsureLow
              + ","
              + unsureHigh);
    }
    this.unsureLow = (float) unsureLow;
    this.unsureHigh = (float) unsureHigh;
    this.flicker = flicker;
  }

  /**
   * Takes the next frame of its camera and returns the verdict on the camera's frame before it, or
   * null when there was none.
   */
  public Selection<P> offer(Observation<P> next) {
    Observation<P> current = waiting.put(next.camera(), next);
    if (current == null) {
      return null;
    }
    Selection<P> verdict = judge(previous.get(next.camera()), current, next);
    previous.put(next.camera(), current);
    return verdict;
  }

  /** Decides every camera's waiting frame without a next frame, and forgets them. */
  public List<Selection<P>> flush() {
    List<Selection<P>> out = new ArrayList<>();
    for (Observation<P> current : waiting.values()) {
      out.add(judge(previous.get(current.camera()), current, null));
    }
    waiting.clear();
    previous.clear();
    return out;
  }

  private Selection<P> judge(Observation<P> prev, Observation<P> current, Observation<P> next) {
    Set<Reason> reasons = EnumSet.noneOf(Reason.class);
    List<String> unsure = new ArrayList<>();
    Map<String, Integer> newSincePrevious = new LinkedHashMap<>();
    Map<String, Integer> goneInNext = new LinkedHashMap<>();
    for (Detection d : current.detections()) {
      if (d.getScore() >= unsureLow && d.getScore() <= unsureHigh) {
        unsure.add(String.format(Locale.ROOT, "%s %.2f", d.getLabel(), d.getScore()));
      }
      if (flicker) {
        if (prev != null && !matched(d, prev.detections())) {
          newSincePrevious.merge(d.getLabel(), 1, Integer::sum);
        }
        if (next != null && !matched(d, next.detections())) {
          goneInNext.merge(d.getLabel(), 1, Integer::sum);
        }
      }
    }
    List<String> why = new ArrayList<>();
    if (!unsure.isEmpty()) {
      reasons.add(Reason.UNSURE);
      why.add("unsure (" + String.join(", ", unsure) + ")");
    }
    if (!newSincePrevious.isEmpty() || !goneInNext.isEmpty()) {
      reasons.add(Reason.FLICKER);
      List<String> parts = new ArrayList<>();
      if (!newSincePrevious.isEmpty()) {
        parts.add("not in the previous frame: " + counted(newSincePrevious));
      }
      if (!goneInNext.isEmpty()) {
        parts.add("not in the next frame: " + counted(goneInNext));
      }
      why.add("flicker (" + String.join("; ", parts) + ")");
    }
    return new Selection<>(current, reasons, String.join("; ", why));
  }

  /** {@code circle, 2 star}: each label once, with its count when more than one. */
  private static String counted(Map<String, Integer> labels) {
    List<String> out = new ArrayList<>();
    labels.forEach((label, n) -> out.add(n == 1 ? label : n + " " + label));
    return String.join(", ", out);
  }

  private static boolean matched(Detection d, List<Detection> others) {
    for (Detection o : others) {
      if (o.getClassId() == d.getClassId() && iou(d.getBox(), o.getBox()) >= MATCH_IOU) {
        return true;
      }
    }
    return false;
  }

  /** Intersection over union of two xyxy boxes; 0 when either is empty. */
  static double iou(Box a, Box b) {
    double iw = Math.min(a.getX2(), b.getX2()) - Math.max(a.getX1(), b.getX1());
    double ih = Math.min(a.getY2(), b.getY2()) - Math.max(a.getY1(), b.getY1());
    if (iw <= 0 || ih <= 0) {
      return 0;
    }
    double inter = iw * ih;
    double areaA = (a.getX2() - a.getX1()) * (double) (a.getY2() - a.getY1());
    double areaB = (b.getX2() - b.getX1()) * (double) (b.getY2() - b.getY1());
    return inter / (areaA + areaB - inter);
  }
}
