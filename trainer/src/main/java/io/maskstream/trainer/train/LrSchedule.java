package io.maskstream.trainer.train;

/**
 * The learning rate of torchvision's reference detection training: a linear warm-up from {@code
 * warmupFactor * baseLr} over the first iterations ({@code LinearLR}), then multi-step decay by
 * {@code gamma} at fractions of the training budget ({@code MultiStepLR}, its milestones 16 and 22
 * of 26 epochs by default). Immutable.
 *
 * @param baseLr the rate after warm-up
 * @param warmupIterations iterations of linear warm-up (0 for none)
 * @param warmupFactor the fraction of {@code baseLr} at iteration 0
 * @param milestones increasing fractions of the budget in (0, 1) where the rate is multiplied by
 *     {@code gamma}
 * @param gamma the decay factor
 */
public record LrSchedule(
    double baseLr, int warmupIterations, double warmupFactor, double[] milestones, double gamma) {

  /** torchvision's milestones as fractions of the budget: epochs 16 and 22 of 26. */
  public static final double[] TORCHVISION_MILESTONES = {16.0 / 26, 22.0 / 26};

  /** Checks the values. */
  public LrSchedule {
    if (!(baseLr > 0) || warmupIterations < 0 || !(warmupFactor > 0 && warmupFactor <= 1)) {
      throw new IllegalArgumentException(
          "lr " + baseLr + ", warm-up " + warmupIterations + " x " + warmupFactor);
    }
    milestones = milestones.clone();
    for (int i = 0; i < milestones.length; i++) {
      if (!(milestones[i] > 0 && milestones[i] < 1)
          || (i > 0 && milestones[i] <= milestones[i - 1])) {
        throw new IllegalArgumentException(
            "learning-rate steps must be increasing fractions of the budget between 0 and 1");
      }
    }
  }

  /**
   * The rate at {@code iteration} (from 0) when {@code progress} of the budget (iterations or time,
   * in [0, 1]) has been used.
   */
  public double at(long iteration, double progress) {
    double lr = baseLr;
    for (double m : milestones) {
      if (progress >= m) {
        lr *= gamma;
      }
    }
    if (iteration < warmupIterations) {
      double alpha = (double) iteration / warmupIterations;
      lr *= warmupFactor * (1 - alpha) + alpha;
    }
    return lr;
  }
}
