package io.maskstream.trainer.model;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Chooses the training examples of one image as torchvision's {@code
 * BalancedPositiveNegativeSampler}: at most {@code batchSize * positiveFraction} positives (label
 * {@code >= 1}), then negatives (label 0) up to {@code batchSize} in all, each set drawn uniformly
 * without replacement; label -1 is never drawn. The draw comes from the caller's seeded random
 * source, so a run is reproducible. Immutable and thread-safe.
 */
public final class BalancedSampler {
  private final int batchSize;
  private final double positiveFraction;

  /** A sampler of {@code batchSize} examples with at most {@code positiveFraction} positives. */
  public BalancedSampler(int batchSize, double positiveFraction) {
    if (batchSize < 1 || !(positiveFraction >= 0 && positiveFraction <= 1)) {
      throw new IllegalArgumentException("batch size >= 1 and a fraction in [0, 1] are needed");
    }
    this.batchSize = batchSize;
    this.positiveFraction = positiveFraction;
  }

  /** The chosen positives and negatives among {@code labels}, each in ascending index order. */
  public Sample sample(long[] labels, SplittableRandom random) {
    long[] positive = indices(labels, true);
    long[] negative = indices(labels, false);
    int positives = Math.min(positive.length, (int) (batchSize * positiveFraction));
    int negatives = Math.min(negative.length, batchSize - positives);
    return new Sample(draw(positive, positives, random), draw(negative, negatives, random));
  }

  private static long[] indices(long[] labels, boolean positive) {
    return java.util.stream.IntStream.range(0, labels.length)
        .filter(i -> positive ? labels[i] >= 1 : labels[i] == 0)
        .asLongStream()
        .toArray();
  }

  private static long[] draw(long[] from, int count, SplittableRandom random) {
    long[] pool = from.clone();
    for (int i = 0; i < count; i++) {
      int j = i + random.nextInt(pool.length - i);
      long t = pool[i];
      pool[i] = pool[j];
      pool[j] = t;
    }
    long[] chosen = Arrays.copyOf(pool, count);
    Arrays.sort(chosen);
    return chosen;
  }

  /**
   * The examples chosen in one image.
   *
   * @param positive indices of the chosen positives, ascending
   * @param negative indices of the chosen negatives, ascending
   */
  public record Sample(long[] positive, long[] negative) {
    /** Positives and negatives together, ascending (the order torchvision keeps RoIs in). */
    public long[] all() {
      long[] out = Arrays.copyOf(positive, positive.length + negative.length);
      System.arraycopy(negative, 0, out, positive.length, negative.length);
      Arrays.sort(out);
      return out;
    }
  }
}
