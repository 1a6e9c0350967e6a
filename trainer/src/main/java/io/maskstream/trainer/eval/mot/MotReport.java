package io.maskstream.trainer.eval.mot;

import java.util.List;

/**
 * The result of {@link MotEvaluator#evaluate(List)}. Immutable.
 *
 * @param sequences each sequence's figures, in name order
 * @param combined all sequences combined as TrackEval's {@code COMBINED_SEQ}
 * @param notes remarks on the input worth showing the user (none when all is plain)
 */
public record MotReport(List<MotReport.Row> sequences, MotMetrics combined, List<String> notes) {
  /** Copies the lists. */
  public MotReport {
    sequences = List.copyOf(sequences);
    notes = List.copyOf(notes);
  }

  /**
   * One sequence's figures.
   *
   * @param name the sequence name
   * @param frames its number of frames
   * @param metrics its figures
   */
  public record Row(String name, int frames, MotMetrics metrics) {}
}
