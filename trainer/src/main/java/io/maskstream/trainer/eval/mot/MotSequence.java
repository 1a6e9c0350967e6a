package io.maskstream.trainer.eval.mot;

/**
 * One sequence to evaluate: its ground truth and the tracker's output. Immutable.
 *
 * @param name the sequence name shown in the table
 * @param groundTruth the ground-truth boxes with their object ids
 * @param results the tracker's boxes with its track ids
 * @param length the number of frames when known (a MOTChallenge {@code seqinfo.ini}), else 0: the
 *     sequence then ends with the last frame either file names
 */
public record MotSequence(String name, MotFile groundTruth, MotFile results, int length) {
  /**
   * Checks that no box lies beyond a known length.
   *
   * @throws MotFormatException naming the first box past the end
   */
  public MotSequence {
    if (length > 0) {
      for (MotFile file : new MotFile[] {groundTruth, results}) {
        for (MotFile.Box b : file.boxes()) {
          if (b.frame() > length) {
            throw new MotFormatException(
                file.source()
                    + ":"
                    + b.line()
                    + ": frame "
                    + b.frame()
                    + " is beyond the sequence's "
                    + length
                    + " frames (seqLength of its seqinfo.ini)");
          }
        }
      }
    }
  }

  /** The number of frames: {@link #length} when known, else the last frame with a box. */
  public int frames() {
    return length > 0 ? length : Math.max(groundTruth.lastFrame(), results.lastFrame());
  }
}
