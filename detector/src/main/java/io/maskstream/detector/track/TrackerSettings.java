package io.maskstream.detector.track;

/**
 * How the tracker associates detections, with ByteTrack's names and defaults (as supervision
 * exposes them). Immutable.
 *
 * @param activationThreshold detections scoring at least this are matched first and may start
 *     tracks (at {@code activationThreshold + 0.1}); ByteTrack's {@code track_thresh}
 * @param lowScoreThreshold detections between this and the activation threshold only continue
 *     tracks that are being tracked (ByteTrack's second association)
 * @param matchingThreshold the largest cost {@code 1 - similarity x score} of a first-association
 *     match; ByteTrack's {@code match_thresh}
 * @param lostTrackBuffer frames a track may go unmatched before it ends
 * @param minimumConsecutiveFrames frames in a row a new track must be matched before it gets its id
 *     (and its {@code new} event)
 * @param maskWeight share of mask IoU in the similarity, the rest box IoU: 0 is ByteTrack's box IoU
 *     alone
 * @param fuseScore whether a confident detection's cost is {@code 1 - similarity x score}
 *     (ByteTrack's {@code fuse_score}) or {@code 1 - similarity}: fusing favours confident
 *     detections, but keeps a model whose scores are low (a briefly trained one) from matching at
 *     all
 */
public record TrackerSettings(
    float activationThreshold,
    float lowScoreThreshold,
    double matchingThreshold,
    int lostTrackBuffer,
    int minimumConsecutiveFrames,
    double maskWeight,
    boolean fuseScore) {

  /**
   * ByteTrack's defaults (supervision's names), two frames to confirm, mask and box IoU blended.
   */
  public static final TrackerSettings DEFAULTS =
      new TrackerSettings(0.25f, 0.1f, 0.8, 30, 2, 0.5, true);

  /** Second association: low-score detections with tracks being tracked (ByteTrack's 0.5). */
  static final double SECOND_MATCHING_THRESHOLD = 0.5;

  /** New tracks with the detections left over (ByteTrack's 0.7). */
  static final double TENTATIVE_MATCHING_THRESHOLD = 0.7;

  /** How much more than the activation threshold a detection must score to start a track. */
  static final float NEW_TRACK_MARGIN = 0.1f;

  /** Checks the ranges. */
  public TrackerSettings {
    if (!(lowScoreThreshold >= 0 && lowScoreThreshold <= activationThreshold)) {
      throw new IllegalArgumentException(
          "need 0 <= low score threshold <= activation threshold, got "
              + lowScoreThreshold
              + " and "
              + activationThreshold);
    }
    if (!(activationThreshold <= 1)) {
      throw new IllegalArgumentException("activation threshold must be <= 1");
    }
    if (!(matchingThreshold > 0 && matchingThreshold <= 1)) {
      throw new IllegalArgumentException("matching threshold must be in (0, 1]");
    }
    if (lostTrackBuffer < 0) {
      throw new IllegalArgumentException("lost track buffer must be >= 0 frames");
    }
    if (minimumConsecutiveFrames < 1) {
      throw new IllegalArgumentException("minimum consecutive frames must be >= 1");
    }
    if (!(maskWeight >= 0 && maskWeight <= 1)) {
      throw new IllegalArgumentException("mask weight must be in [0, 1]");
    }
  }
}
