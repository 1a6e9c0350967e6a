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
 * back: exactly, so a detector that takes the camera over after a crash or a rebalance continues
 * with the same tracks, ids and filter estimates. Stateless.
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
              .setCovariance(doubles(t.estimate().covariance()))
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
      double[] covariance = array(t.getCovariance());
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
