package io.maskstream.detector.track;

import io.maskstream.schemas.avro.TrackSnapshot;
import io.maskstream.schemas.avro.TrackState;
import io.maskstream.schemas.avro.TrackerSnapshot;
import io.maskstream.schemas.rle.CocoRle;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A camera's {@link TrackerState} as the Avro {@link TrackerSnapshot} its state store keeps, and
 * back, so a detector that takes the camera over after a crash or a rebalance continues with the
 * same tracks, ids and filter estimates. The filter's covariance is kept as the upper triangle in
 * 32-bit floats (a third of its full size); the track node reads the state back from the store for
 * every frame, so an uninterrupted detector and one that took over compute with the same values.
 * Stateless.
 */
public final class TrackerSnapshots {
  private TrackerSnapshots() {}

  /** The state as a snapshot. */
  public static TrackerSnapshot of(TrackerState state) {
    List<TrackSnapshot> tracks = new ArrayList<>(state.tracks().size());
    for (Track t : state.tracks()) {
      tracks.add(
          TrackSnapshot.newBuilder()
              .setId(t.id())
              .setLabel(t.label())
              .setState(TrackState.valueOf(t.state().name()))
              .setMean(doubles(t.estimate().mean()))
              .setCovariance(List.of())
              .setCovarianceUpper(upper(t.estimate().covariance()))
              .setMaskHeight(t.mask() == null ? 0 : t.mask().height())
              .setMaskWidth(t.mask() == null ? 0 : t.mask().width())
              .setMaskCounts(t.mask() == null ? null : t.mask().toCompressedString())
              .setScore(t.score())
              .setTopScore(t.topScore())
              .setConsecutive(t.consecutive())
              .setFirstFrame(t.firstFrame())
              .setLastFrame(t.lastFrame())
              .setFirstSequence(t.firstSequence())
              .setLastSequence(t.lastSequence())
              .setFirstTime(Instant.ofEpochMilli(t.firstTime()))
              .setLastTime(Instant.ofEpochMilli(t.lastTime()))
              .build());
    }
    return TrackerSnapshot.newBuilder()
        .setNextId(state.nextId())
        .setFrame(state.frame())
        .setLastSequence(state.lastSequence() == TrackerState.NONE ? null : state.lastSequence())
        .setTracks(tracks)
        .build();
  }

  /**
   * The state a snapshot holds.
   *
   * @throws IllegalArgumentException when the snapshot is inconsistent (a mean of other than 8
   *     values, a covariance of other than 64)
   */
  public static TrackerState state(TrackerSnapshot s) {
    List<Track> tracks = new ArrayList<>(s.getTracks().size());
    for (TrackSnapshot t : s.getTracks()) {
      double[] mean = array(t.getMean());
      double[] covariance =
          t.getCovarianceUpper().isEmpty()
              ? array(t.getCovariance())
              : symmetric(t.getCovarianceUpper());
      if (mean.length != 8 || covariance.length != 64) {
        throw new IllegalArgumentException(
            "track "
                + t.getId()
                + " has a filter state of "
                + mean.length
                + "/"
                + covariance.length
                + " values, not 8/64");
      }
      CocoRle mask =
          t.getMaskCounts() == null
              ? null
              : CocoRle.fromString(t.getMaskHeight(), t.getMaskWidth(), t.getMaskCounts());
      tracks.add(
          new Track(
              t.getId(),
              t.getLabel(),
              Track.State.valueOf(t.getState().name()),
              new KalmanBoxFilter.Estimate(mean, covariance),
              mask,
              t.getScore(),
              t.getTopScore(),
              t.getConsecutive(),
              t.getFirstFrame(),
              t.getLastFrame(),
              t.getFirstSequence(),
              t.getLastSequence(),
              t.getFirstTime().toEpochMilli(),
              t.getLastTime().toEpochMilli()));
    }
    return new TrackerState(
        s.getNextId(),
        s.getFrame(),
        s.getLastSequence() == null ? TrackerState.NONE : s.getLastSequence(),
        tracks);
  }

  /** The upper triangle of an 8 x 8 row-major matrix, row by row, as floats. */
  private static List<Float> upper(double[] matrix) {
    List<Float> out = new ArrayList<>(SIDE * (SIDE + 1) / 2);
    for (int r = 0; r < SIDE; r++) {
      for (int c = r; c < SIDE; c++) {
        out.add((float) matrix[r * SIDE + c]);
      }
    }
    return out;
  }

  /** The 8 x 8 row-major symmetric matrix of an upper triangle; wrong lengths give no matrix. */
  private static double[] symmetric(List<Float> upper) {
    if (upper.size() != SIDE * (SIDE + 1) / 2) {
      return new double[0];
    }
    double[] out = new double[SIDE * SIDE];
    int i = 0;
    for (int r = 0; r < SIDE; r++) {
      for (int c = r; c < SIDE; c++) {
        out[r * SIDE + c] = upper.get(i);
        out[c * SIDE + r] = upper.get(i);
        i++;
      }
    }
    return out;
  }

  private static final int SIDE = 8;

  private static List<Double> doubles(double[] values) {
    List<Double> out = new ArrayList<>(values.length);
    for (double v : values) {
      out.add(v);
    }
    return out;
  }

  private static double[] array(List<Double> values) {
    double[] out = new double[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }
}
