package io.maskstream.detector.track;

import io.maskstream.schemas.rle.CocoRle;

/**
 * One tracked object, as the tracker's state holds it. Immutable; each frame makes new ones.
 *
 * @param id the track id, unique per camera, from 1; 0 while the track is tentative
 * @param label class name
 * @param state tentative, tracked or lost
 * @param estimate the Kalman estimate of its box
 * @param mask its last mask, or null
 * @param score its last detection's score
 * @param topScore the best score it had
 * @param consecutive frames in a row it was matched (for confirmation)
 * @param firstFrame the tracker's frame count when it was first seen
 * @param lastFrame the tracker's frame count when it was last matched
 * @param firstSequence the camera's frame sequence when it was first seen
 * @param lastSequence the camera's frame sequence when it was last matched
 * @param firstTime capture time (ms) when it was first seen
 * @param lastTime capture time (ms) when it was last matched
 */
public record Track(
    long id,
    String label,
    State state,
    KalmanBoxFilter.Estimate estimate,
    CocoRle mask,
    float score,
    float topScore,
    int consecutive,
    long firstFrame,
    long lastFrame,
    long firstSequence,
    long lastSequence,
    long firstTime,
    long lastTime) {

  /** Where a track is in its life. */
  public enum State {
    /** Seen, not yet for the minimum consecutive frames: no id, no events. */
    TENTATIVE,
    /** Matched in the last frame. */
    TRACKED,
    /** Unmatched for at most the lost track buffer; may be found again. */
    LOST
  }

  /** The box {@code [x1, y1, x2, y2]} the estimate gives. */
  public double[] box() {
    return estimate.box();
  }

  Track with(State s, KalmanBoxFilter.Estimate e) {
    return new Track(
        id,
        label,
        s,
        e,
        mask,
        score,
        topScore,
        consecutive,
        firstFrame,
        lastFrame,
        firstSequence,
        lastSequence,
        firstTime,
        lastTime);
  }

  Track withId(long newId) {
    return new Track(
        newId,
        label,
        state,
        estimate,
        mask,
        score,
        topScore,
        consecutive,
        firstFrame,
        lastFrame,
        firstSequence,
        lastSequence,
        firstTime,
        lastTime);
  }

  /** This track matched to {@code o} in frame {@code frame}. */
  Track matched(Observation o, long frame, long sequence, long time) {
    return new Track(
        id,
        label,
        state == State.TENTATIVE ? State.TENTATIVE : State.TRACKED,
        KalmanBoxFilter.update(estimate, o.box()),
        o.mask() != null ? o.mask() : mask,
        o.score(),
        Math.max(topScore, o.score()),
        state == State.LOST ? 1 : consecutive + 1,
        firstFrame,
        frame,
        firstSequence,
        sequence,
        firstTime,
        time);
  }

  /** A tentative track started by {@code o}. */
  static Track start(Observation o, long frame, long sequence, long time) {
    return new Track(
        0,
        o.label(),
        State.TENTATIVE,
        KalmanBoxFilter.initiate(o.box()),
        o.mask(),
        o.score(),
        o.score(),
        1,
        frame,
        frame,
        sequence,
        sequence,
        time,
        time);
  }
}
