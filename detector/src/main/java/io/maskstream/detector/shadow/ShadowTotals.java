package io.maskstream.detector.shadow;

import io.maskstream.schemas.avro.ShadowClassCounts;
import io.maskstream.schemas.avro.ShadowReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Agreement of a candidate with the serving model summed over frames, and over detectors: what a
 * {@link ShadowReport} carries. Totals, not means, so that they add up; the means are derived.
 * Immutable.
 *
 * @param sampled frames picked by the sample rate
 * @param dropped sampled frames dropped because the candidate was busy
 * @param compared frames both models ran on
 * @param serving detections of the serving model on them
 * @param candidate detections of the candidate on them
 * @param matched matched pairs
 * @param maskIouSum sum of the matched pairs' mask IoU
 * @param scoreShiftSum sum of the matched pairs' score shifts (candidate minus serving)
 * @param classes counts per class name, sorted by name
 */
public record ShadowTotals(
    long sampled,
    long dropped,
    long compared,
    long serving,
    long candidate,
    long matched,
    double maskIouSum,
    double scoreShiftSum,
    Map<String, Agreement.ClassCounts> classes) {
  /** Nothing compared yet. */
  public static final ShadowTotals EMPTY = new ShadowTotals(0, 0, 0, 0, 0, 0, 0, 0, Map.of());

  /** Copies the class map, sorted by name. */
  public ShadowTotals {
    classes = java.util.Collections.unmodifiableMap(new TreeMap<>(classes));
  }

  /** These totals and one more compared frame. */
  public ShadowTotals plus(Agreement frame) {
    Map<String, Agreement.ClassCounts> c = new TreeMap<>(classes);
    frame.classes().forEach((k, v) -> c.merge(k, v, Agreement.ClassCounts::plus));
    return new ShadowTotals(
        sampled,
        dropped,
        compared + 1,
        serving + frame.serving(),
        candidate + frame.candidate(),
        matched + frame.matched(),
        maskIouSum + frame.maskIouSum(),
        scoreShiftSum + frame.scoreShiftSum(),
        c);
  }

  /** The sum of these totals and {@code o} (another detector's). */
  public ShadowTotals plus(ShadowTotals o) {
    Map<String, Agreement.ClassCounts> c = new TreeMap<>(classes);
    o.classes.forEach((k, v) -> c.merge(k, v, Agreement.ClassCounts::plus));
    return new ShadowTotals(
        sampled + o.sampled,
        dropped + o.dropped,
        compared + o.compared,
        serving + o.serving,
        candidate + o.candidate,
        matched + o.matched,
        maskIouSum + o.maskIouSum,
        scoreShiftSum + o.scoreShiftSum,
        c);
  }

  /** These totals with the sampled and dropped frame counts given. */
  public ShadowTotals withFrames(long sampled, long dropped) {
    return new ShadowTotals(
        sampled,
        dropped,
        compared,
        serving,
        candidate,
        matched,
        maskIouSum,
        scoreShiftSum,
        classes);
  }

  /** Detections of the serving model that the candidate did not find. */
  public long unmatchedServing() {
    return serving - matched;
  }

  /** Detections of the candidate that the serving model did not find. */
  public long unmatchedCandidate() {
    return candidate - matched;
  }

  /** Mean mask IoU of the matched pairs; NaN without any. */
  public double meanMaskIou() {
    return matched == 0 ? Double.NaN : maskIouSum / matched;
  }

  /** Mean score shift (candidate minus serving) of the matched pairs; NaN without any. */
  public double meanScoreShift() {
    return matched == 0 ? Double.NaN : scoreShiftSum / matched;
  }

  /** The totals a report carries. */
  public static ShadowTotals of(ShadowReport r) {
    Map<String, Agreement.ClassCounts> c = new TreeMap<>();
    for (ShadowClassCounts k : r.getClasses()) {
      c.merge(
          k.getName(),
          new Agreement.ClassCounts(k.getServing(), k.getCandidate(), k.getMatched()),
          Agreement.ClassCounts::plus);
    }
    return new ShadowTotals(
        r.getFramesSampled(),
        r.getFramesDropped(),
        r.getFramesCompared(),
        r.getServingDetections(),
        r.getCandidateDetections(),
        r.getMatched(),
        r.getMaskIouSum(),
        r.getScoreShiftSum(),
        c);
  }

  /** Sets the counts of a report. */
  public ShadowReport.Builder into(ShadowReport.Builder b) {
    List<ShadowClassCounts> c = new ArrayList<>();
    classes.forEach(
        (name, k) ->
            c.add(
                ShadowClassCounts.newBuilder()
                    .setName(name)
                    .setServing(k.serving())
                    .setCandidate(k.candidate())
                    .setMatched(k.matched())
                    .build()));
    return b.setFramesSampled(sampled)
        .setFramesDropped(dropped)
        .setFramesCompared(compared)
        .setServingDetections(serving)
        .setCandidateDetections(candidate)
        .setMatched(matched)
        .setMaskIouSum(maskIouSum)
        .setScoreShiftSum(scoreShiftSum)
        .setClasses(c);
  }
}
