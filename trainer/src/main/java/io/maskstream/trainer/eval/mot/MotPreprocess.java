package io.maskstream.trainer.eval.mot;

import java.util.Set;

/**
 * Which ground truth counts and which tracker boxes are set aside before the metrics, as
 * TrackEval's {@code MotChallenge2DBox} decides it.
 */
public enum MotPreprocess {
  /**
   * Every ground-truth box counts and no tracker box is set aside: the distractor-free format
   * ({@code shapes --video}, TrackEval with its preprocessing off).
   */
  NONE(Set.of()),
  /**
   * MOTChallenge 16/17 ground truth ({@code frame,id,left,top,width,height,flag,class,visibility}):
   * pedestrians (class 1) with a non-zero flag count; a tracker box matched (IoU 0.5, one-to-one)
   * to a person on a vehicle (2), static person (7), distractor (8) or reflection (12) is removed.
   */
  MOT17(Set.of(2, 7, 8, 12)),
  /** MOTChallenge 20: as {@link #MOT17}, and non-motorised vehicles (6) are distractors too. */
  MOT20(Set.of(2, 6, 7, 8, 12));

  private final Set<Integer> distractors;

  MotPreprocess(Set<Integer> distractors) {
    this.distractors = distractors;
  }

  /** Classes whose matched tracker boxes are removed. */
  Set<Integer> distractors() {
    return distractors;
  }
}
