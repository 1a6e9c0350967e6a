package io.maskstream.sinks.capture;

import java.util.List;
import java.util.Set;

/**
 * The selector's verdict on one frame: the reasons to keep it (empty: not useful) and one line
 * saying why.
 *
 * @param observation the frame
 * @param reasons why it is worth labelling; empty when it is not
 * @param why the reasons in words, e.g. {@code unsure (circle 0.41); flicker (square not in the
 *     next frame)}
 * @param <P> the payload type
 */
public record Selection<P>(Observation<P> observation, Set<Reason> reasons, String why) {
  /** Copies the reasons. */
  public Selection {
    reasons = Set.copyOf(reasons);
  }

  /** Whether there is any reason to keep the frame. */
  public boolean useful() {
    return !reasons.isEmpty();
  }

  /** The reasons in their declaration order. */
  public List<Reason> orderedReasons() {
    return java.util.Arrays.stream(Reason.values()).filter(reasons::contains).toList();
  }
}
