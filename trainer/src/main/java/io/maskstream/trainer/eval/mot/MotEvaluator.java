package io.maskstream.trainer.eval.mot;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Multi-object tracking metrics - HOTA, CLEAR MOT (MOTA, MOTP, ID switches, fragmentations,
 * MT/PT/ML) and the identity metrics (IDF1, IDP, IDR) - with the semantics and the arithmetic of
 * TrackEval, the MOTChallenge evaluation kit, on 2D boxes: box IoU as similarity, IoU 0.5 for CLEAR
 * and identity matches, SciPy's assignment solver and NumPy's order of summation, so the figures
 * agree with TrackEval's to the last bit ({@code MotMetricsTest} holds it to that on committed
 * TrackEval outputs). Implemented here because no library on Maven Central computes these metrics.
 *
 * <p>Every ground-truth box counts: this is the distractor-free format that {@code maskstream
 * shapes --video} writes and TrackEval evaluates with its MOTChallenge preprocessing turned off.
 * MOTChallenge 16/17/20 ground truth also carries a flag (column 7, 0 = ignore) and a class (column
 * 8: distractors such as static persons or reflections, whose matched tracker boxes TrackEval
 * removes); that preprocessing is not reproduced here, and {@link MotReport#notes()} says when
 * zero-flagged ground truth was counted. Sequences combine as TrackEval's {@code COMBINED_SEQ}
 * (sums, and HOTA's association and localisation weighted by true positives), in name order.
 * Stateless.
 */
public final class MotEvaluator {
  private MotEvaluator() {}

  /** Evaluates each sequence and all of them combined; every ground-truth box counts. */
  public static MotReport evaluate(List<MotSequence> sequences) {
    return evaluate(sequences, MotPreprocess.NONE);
  }

  /**
   * Evaluates each sequence and all of them combined, after {@code preprocess}.
   *
   * @throws MotFormatException if MOTChallenge preprocessing is asked for and the ground truth has
   *     no MOTChallenge classes
   */
  public static MotReport evaluate(List<MotSequence> sequences, MotPreprocess preprocess) {
    List<MotSequence> sorted = new ArrayList<>(sequences);
    sorted.sort(Comparator.comparing(MotSequence::name));
    List<MotReport.Row> rows = new ArrayList<>();
    List<Hota.Counts> hotas = new ArrayList<>();
    List<ClearMot.Counts> clears = new ArrayList<>();
    List<IdentityMetrics.Counts> ids = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    for (MotSequence s : sorted) {
      SequenceData data = SequenceData.of(s.groundTruth(), s.results(), preprocess);
      Hota.Counts h = Hota.evaluate(data);
      ClearMot.Counts c = ClearMot.evaluate(data);
      IdentityMetrics.Counts id = IdentityMetrics.evaluate(data);
      hotas.add(h);
      clears.add(c);
      ids.add(id);
      // a sequence's own row is what TrackEval reports for it, before combining
      rows.add(new MotReport.Row(s.name(), s.frames(), MotMetrics.of(h, c, id)));
      long zero = preprocess == MotPreprocess.NONE ? s.groundTruth().zeroMarked() : 0;
      if (zero > 0) {
        notes.add(
            s.groundTruth().source()
                + ": "
                + zero
                + " ground-truth boxes have 0 in column 7 (MOTChallenge's 'ignore' flag); they"
                + " count like the others unless MOTChallenge preprocessing is asked for"
                + " (--preprocess)");
      }
    }
    MotMetrics combined =
        MotMetrics.of(
            Hota.Counts.combine(hotas),
            ClearMot.Counts.sum(clears),
            IdentityMetrics.Counts.sum(ids));
    return new MotReport(rows, combined, notes);
  }

  /** Evaluates one sequence: the figures TrackEval reports as its combined result. */
  public static MotMetrics evaluate(MotFile groundTruth, MotFile results) {
    return evaluate(List.of(new MotSequence("seq", groundTruth, results, 0))).combined();
  }
}
