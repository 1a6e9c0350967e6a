package io.maskstream.sinks.capture;

import java.util.Locale;

/** Why a frame was kept for labelling. */
public enum Reason {
  /** A detection's score is inside the unsure band: the model hesitates. */
  UNSURE,
  /** A detection has no same-class match (box IoU at least 0.5) in the previous or next frame. */
  FLICKER,
  /** Neither of the above: kept as a sample at the rate ({@code --all}). */
  SAMPLE;

  /** The name as printed and stored: lower case. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
