package io.maskstream.detector.track;

import io.maskstream.schemas.match.LinearAssignment;
import io.maskstream.schemas.rle.CocoIou;
import io.maskstream.schemas.rle.CocoRle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Multi-object tracking by detection in the manner of ByteTrack (Zhang et al., 2022): confident
 * detections are matched to tracks first, low-score ones then keep tracks alive that the first
 * round left unmatched, a constant-velocity Kalman filter predicts each box, and a lost track waits
 * a number of frames to be found again. Unlike the box-only trackers, the similarity blends the IoU
 * of the instance masks with the IoU of the boxes ({@link TrackerSettings#maskWeight()}), which
 * tells apart objects whose boxes overlap while they cross.
 *
 * <p>A pure function of its state: {@link #step} takes a camera's {@link TrackerState} and one
 * frame's detections and returns the next state with what happened, so the same frames give the
 * same ids whatever the timing, and a state written to a store and read back continues exactly. Ids
 * are a counter in the state, given to tracks when they are confirmed. Tracks continue only with
 * detections of their own label (by name, so a new model version with the same class names keeps
 * them). Frames the detector skipped (realtime mode) count by the sequence gap: the filter predicts
 * over them, and the lost buffer counts them. Thread-compatible: immutable settings.
 */
public final class ByteTracker {
  private final TrackerSettings settings;

  /** A tracker with the given settings. */
  public ByteTracker(TrackerSettings settings) {
    this.settings = settings;
  }

  /** The settings. */
  public TrackerSettings settings() {
    return settings;
  }

  /**
   * What one frame did to the tracks.
   *
   * @param state the camera's state after the frame
   * @param trackIds the track id of each observation in the order given, 0 for none (tentative or
   *     unmatched)
   * @param started tracks confirmed in this frame (each gets its {@code new} event once)
   * @param updated confirmed tracks matched in this frame that were confirmed before it
   * @param changed those of {@code updated} found again after being lost, or with a better score
   *     than they ever had (each gets an {@code update} event)
   * @param ended tracks that ended in this frame (lost longer than the buffer), as they last were
   */
  public record Step(
      TrackerState state,
      long[] trackIds,
      List<Track> started,
      List<Track> updated,
      List<Track> changed,
      List<Track> ended) {}

  /**
   * Advances a camera's tracks by one frame.
   *
   * @param state the camera's state before the frame
   * @param sequence the frame's sequence number (gaps are frames the detector skipped; a sequence
   *     not after the last one counts as the next frame)
   * @param time the frame's capture time in ms
   * @param observations the frame's detections
   */
  public Step step(TrackerState state, long sequence, long time, List<Observation> observations) {
    long gap = state.lastSequence() == TrackerState.NONE ? 1 : sequence - state.lastSequence();
    if (gap <= 0) {
      gap = 1; // the camera's sequence restarted
    }
    // beyond the lost buffer every track ends anyway: no need to predict further
    int predictions = (int) Math.min(gap, settings.lostTrackBuffer() + 1L);
    long frame = state.frame() + gap;

    List<Track> tracks = new ArrayList<>(state.tracks().size());
    for (Track t : state.tracks()) {
      KalmanBoxFilter.Estimate e = t.estimate();
      for (int i = 0; i < predictions; i++) {
        e = KalmanBoxFilter.predict(e, t.state() != Track.State.LOST);
      }
      tracks.add(t.with(t.state(), e));
    }
    int n = observations.size();
    long[] ids = new long[n];
    boolean[] used = new boolean[n];
    Track[] next = tracks.toArray(new Track[0]);
    int[] pairs = new int[next.length]; // the observation each track matched, -1 for none
    Arrays.fill(pairs, -1);

    // 1. confident detections with the confirmed tracks (tracked and lost)
    List<Integer> high = new ArrayList<>();
    List<Integer> low = new ArrayList<>();
    for (int d = 0; d < n; d++) {
      float s = observations.get(d).score();
      if (s >= settings.activationThreshold()) {
        high.add(d);
      } else if (s >= settings.lowScoreThreshold()) {
        low.add(d);
      }
    }
    List<Integer> confirmed = new ArrayList<>();
    List<Integer> tentative = new ArrayList<>();
    for (int t = 0; t < next.length; t++) {
      (next[t].state() == Track.State.TENTATIVE ? tentative : confirmed).add(t);
    }
    MaskCache masks = new MaskCache();
    associate(
        next,
        confirmed,
        observations,
        high,
        settings.fuseScore(),
        settings.matchingThreshold(),
        pairs,
        used,
        masks);

    // 2. low-score detections with the tracked ones the first round left
    List<Integer> stillTracked = new ArrayList<>();
    for (int t : confirmed) {
      if (pairs[t] < 0 && next[t].state() == Track.State.TRACKED) {
        stillTracked.add(t);
      }
    }
    associate(
        next,
        stillTracked,
        observations,
        low,
        false,
        TrackerSettings.SECOND_MATCHING_THRESHOLD,
        pairs,
        used,
        masks);

    // 3. tentative tracks with the confident detections left
    List<Integer> highLeft = new ArrayList<>();
    for (int d : high) {
      if (!used[d]) {
        highLeft.add(d);
      }
    }
    associate(
        next,
        tentative,
        observations,
        highLeft,
        settings.fuseScore(),
        TrackerSettings.TENTATIVE_MATCHING_THRESHOLD,
        pairs,
        used,
        masks);

    long nextId = state.nextId();
    List<Track> started = new ArrayList<>();
    List<Track> updated = new ArrayList<>();
    List<Track> changed = new ArrayList<>();
    List<Track> ended = new ArrayList<>();
    List<Track> kept = new ArrayList<>();
    int[] trackOf = new int[n];
    Arrays.fill(trackOf, -1);
    for (int t = 0; t < next.length; t++) {
      Track track = next[t];
      if (pairs[t] >= 0) {
        Observation o = observations.get(pairs[t]);
        Track m = track.matched(o, frame, sequence, time);
        if (m.state() == Track.State.TENTATIVE) {
          if (m.consecutive() >= settings.minimumConsecutiveFrames()) {
            m = m.withId(nextId++).with(Track.State.TRACKED, m.estimate());
            started.add(m);
          }
        } else {
          updated.add(m);
          if (track.state() == Track.State.LOST || m.topScore() > track.topScore()) {
            changed.add(m);
          }
        }
        trackOf[pairs[t]] = kept.size();
        kept.add(m);
      } else if (track.state() == Track.State.TENTATIVE) {
        // a tentative track missed once is dropped: it never had an id
      } else if (frame - track.lastFrame() > settings.lostTrackBuffer()) {
        ended.add(track.with(Track.State.LOST, track.estimate()));
      } else {
        kept.add(track.with(Track.State.LOST, track.estimate()));
      }
    }
    // 4. confident detections nobody took start tentative tracks
    for (int d : high) {
      Observation o = observations.get(d);
      if (used[d]
          || o.score() < settings.activationThreshold() + TrackerSettings.NEW_TRACK_MARGIN) {
        continue;
      }
      Track t = Track.start(o, frame, sequence, time);
      if (settings.minimumConsecutiveFrames() <= 1) {
        t = t.withId(nextId++).with(Track.State.TRACKED, t.estimate());
        started.add(t);
      }
      trackOf[d] = kept.size();
      kept.add(t);
    }
    for (int d = 0; d < n; d++) {
      ids[d] = trackOf[d] < 0 ? 0 : kept.get(trackOf[d]).id();
    }
    return new Step(
        new TrackerState(nextId, frame, sequence, kept), ids, started, updated, changed, ended);
  }

  /**
   * Matches the tracks {@code trackIdx} to the observations {@code obsIdx} below {@code limit}
   * cost: records each pair in {@code pairs} (track -> observation) and marks the observation used.
   */
  private void associate(
      Track[] tracks,
      List<Integer> trackIdx,
      List<Observation> observations,
      List<Integer> obsIdx,
      boolean fuseScore,
      double limit,
      int[] pairs,
      boolean[] used,
      MaskCache masks) {
    if (trackIdx.isEmpty() || obsIdx.isEmpty()) {
      return;
    }
    double[][] cost = new double[trackIdx.size()][obsIdx.size()];
    for (int i = 0; i < trackIdx.size(); i++) {
      Track t = tracks[trackIdx.get(i)];
      double[] box = t.box();
      for (int j = 0; j < obsIdx.size(); j++) {
        Observation o = observations.get(obsIdx.get(j));
        if (!t.label().equals(o.label())) {
          cost[i][j] = Double.POSITIVE_INFINITY;
          continue;
        }
        double sim = similarity(box, t, o, masks);
        cost[i][j] = 1 - (fuseScore ? sim * o.score() : sim);
      }
    }
    int[] match = LinearAssignment.solve(cost, limit);
    for (int i = 0; i < match.length; i++) {
      if (match[i] >= 0) {
        int t = trackIdx.get(i);
        int d = obsIdx.get(match[i]);
        used[d] = true;
        pairs[t] = d;
      }
    }
  }

  /**
   * Mask IoU and box IoU blended by the mask weight; box IoU alone where a mask is missing. The
   * track's last mask is first moved by the motion its filter predicts since then (the predicted
   * box's centre minus the mask's own box centre), so a moving object's mask is compared where the
   * object is expected, not where it was.
   */
  private double similarity(double[] trackBox, Track t, Observation o, MaskCache masks) {
    double box = boxIou(trackBox, o.box());
    CocoRle mask = o.mask();
    CocoRle trackMask = t.mask();
    if (box <= 0
        || settings.maskWeight() == 0
        || trackMask == null
        || mask == null
        || trackMask.height() != mask.height()
        || trackMask.width() != mask.width()) {
      return box;
    }
    double[] last = masks.box(trackMask); // x, y, w, h
    int dx = (int) Math.round((trackBox[0] + trackBox[2]) / 2 - (last[0] + last[2] / 2));
    int dy = (int) Math.round((trackBox[1] + trackBox[3]) / 2 - (last[1] + last[3] / 2));
    double maskIou = CocoIou.shifted(masks.of(trackMask), masks.of(mask), dx, dy);
    return settings.maskWeight() * maskIou + (1 - settings.maskWeight()) * box;
  }

  /** Each mask's runs per column and box, computed once per frame. */
  private static final class MaskCache {
    private final java.util.IdentityHashMap<CocoRle, CocoIou.Columns> columns =
        new java.util.IdentityHashMap<>();

    private final java.util.IdentityHashMap<CocoRle, double[]> boxes =
        new java.util.IdentityHashMap<>();

    double[] box(CocoRle mask) {
      return boxes.computeIfAbsent(mask, CocoRle::toBbox);
    }

    CocoIou.Columns of(CocoRle mask) {
      return columns.computeIfAbsent(mask, CocoIou::columns);
    }
  }

  /** IoU of two {@code [x1, y1, x2, y2]} boxes. */
  static double boxIou(double[] a, double[] b) {
    double w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
    double h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
    if (w <= 0 || h <= 0) {
      return 0;
    }
    double inter = w * h;
    double union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    return union <= 0 ? 0 : inter / union;
  }
}
