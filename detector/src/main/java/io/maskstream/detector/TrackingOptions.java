package io.maskstream.detector;

import io.maskstream.detector.track.TrackerSettings;
import io.maskstream.schemas.cli.UserException;
import picocli.CommandLine.Option;

/**
 * Command-line options of the object tracker, with ByteTrack's names and defaults: a picocli mixin
 * shared by {@code detect} and {@code infer}.
 */
public final class TrackingOptions {
  @Option(
      names = "--no-track",
      description = "Do not track objects over frames (detections carry no track ids).")
  boolean noTrack;

  @Option(
      names = "--track-activation-threshold",
      paramLabel = "S",
      defaultValue = "0.25",
      description =
          "Detections scoring this are matched to tracks first; from S + 0.1 they start tracks"
              + " (default: ${DEFAULT-VALUE}).")
  float activationThreshold;

  @Option(
      names = "--track-matching-threshold",
      paramLabel = "C",
      defaultValue = "0.8",
      description =
          "Largest cost (1 - similarity x score, or 1 - similarity without score fusion) of a match to a track (default:"
              + " ${DEFAULT-VALUE}).")
  double matchingThreshold;

  @Option(
      names = "--lost-track-buffer",
      paramLabel = "FRAMES",
      defaultValue = "30",
      description =
          "Frames a track may go unseen before it ends; skipped frames count (default:"
              + " ${DEFAULT-VALUE}).")
  int lostTrackBuffer;

  @Option(
      names = "--track-min-frames",
      paramLabel = "N",
      defaultValue = "2",
      description =
          "Frames in a row a new object must be seen before it gets a track id (default:"
              + " ${DEFAULT-VALUE}).")
  int minFrames;

  @Option(
      names = "--track-mask-weight",
      paramLabel = "W",
      defaultValue = "0.5",
      description =
          "Share of mask IoU in the similarity, the rest box IoU; 0 tracks by boxes alone"
              + " (default: ${DEFAULT-VALUE}).")
  double maskWeight;

  @Option(
      names = "--no-track-score-fusion",
      description =
          "Match by similarity alone instead of similarity x score: for models whose scores are"
              + " low (e.g. 0.2-0.5), whose tracks otherwise fail to match from frame to frame.")
  boolean noScoreFusion;

  /** Whether tracking is off. */
  boolean off() {
    return noTrack;
  }

  /**
   * The tracker settings, or null with {@code --no-track}.
   *
   * @throws UserException for a value out of range
   */
  TrackerSettings settings() {
    if (noTrack) {
      return null;
    }
    try {
      return new TrackerSettings(
          activationThreshold,
          Math.min(TrackerSettings.DEFAULTS.lowScoreThreshold(), activationThreshold),
          matchingThreshold,
          lostTrackBuffer,
          minFrames,
          maskWeight,
          !noScoreFusion);
    } catch (IllegalArgumentException e) {
      throw new UserException("tracking options: " + e.getMessage());
    }
  }
}
