package io.maskstream.detector.track;

import java.util.List;

/**
 * A camera's tracks between two frames: what the tracker keeps in its state store. Ended tracks are
 * not in it, so it stays small. Immutable.
 *
 * @param nextId the id the next confirmed track gets
 * @param frame frames counted so far (sequence gaps included), for track ages
 * @param lastSequence the sequence of the last frame, {@link #NONE} before the first
 * @param tracks the tentative, tracked and lost tracks
 */
public record TrackerState(long nextId, long frame, long lastSequence, List<Track> tracks) {
  /** No frame yet. */
  public static final long NONE = Long.MIN_VALUE;

  /** A camera's state before its first frame. */
  public static final TrackerState EMPTY = new TrackerState(1, 0, NONE, List.of());

  /** Copies the track list. */
  public TrackerState {
    tracks = List.copyOf(tracks);
  }
}
