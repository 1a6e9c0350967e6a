package io.maskstream.trainer.train;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything one training run needs. Immutable; {@link #validate()} checks the values a user can
 * get wrong.
 *
 * @param data the training dataset folder
 * @param validation the validation dataset folder, or null for none
 * @param out the ONNX file to write
 * @param checkpoints the folder for {@code last/} and {@code best/} checkpoints
 * @param preset the network
 * @param init weights to start from (a checkpoint folder or a {@code .safetensors} file), or null
 * @param resume a checkpoint folder to continue exactly from, or null
 * @param iterations the budget in iterations, or null when {@link #time} is given
 * @param time the budget in wall-clock time, or null when {@link #iterations} is given
 * @param batchSize images per iteration
 * @param schedule the learning-rate schedule
 * @param momentum SGD momentum
 * @param weightDecay SGD weight decay (L2, on every trained parameter)
 * @param seed the seed of initialisation, shuffling, flips and samplers
 * @param threads libtorch intra-op threads
 * @param loaderThreads background threads preparing batches
 * @param validateEvery iterations between validations (and best-checkpoint updates)
 * @param checkpointEvery iterations between {@code last/} checkpoints
 * @param skipBad leave bad annotations and images out, counted, instead of failing
 * @param progressBar draw a progress bar on the terminal (otherwise a log line now and then)
 */
public record TrainerConfig(
    Path data,
    Path validation,
    Path out,
    Path checkpoints,
    Preset preset,
    Path init,
    Path resume,
    Long iterations,
    Duration time,
    int batchSize,
    LrSchedule schedule,
    double momentum,
    double weightDecay,
    long seed,
    int threads,
    int loaderThreads,
    int validateEvery,
    int checkpointEvery,
    boolean skipBad,
    boolean progressBar) {

  /** Warm-up iterations when none are given: a tenth of an iteration budget, at most 1000. */
  public static int defaultWarmup(Long iterations) {
    return iterations == null ? 100 : (int) Math.min(1000, Math.max(1, iterations / 10));
  }

  /** torchvision's base learning rate for a batch: 0.02 for 16 images, scaled linearly. */
  public static double defaultLr(int batchSize) {
    return 0.02 * batchSize / 16;
  }

  /** The fraction of the budget used after {@code iteration} iterations and {@code elapsed}. */
  public double progress(long iteration, Duration elapsed) {
    if (iterations != null) {
      return Math.min(1.0, (double) iteration / iterations);
    }
    return Math.min(1.0, (double) elapsed.toMillis() / time.toMillis());
  }

  /** Whether the budget is used up. */
  public boolean done(long iteration, Duration elapsed) {
    return iterations != null ? iteration >= iterations : elapsed.compareTo(time) >= 0;
  }

  /**
   * Checks the settings.
   *
   * @throws IllegalArgumentException naming the first bad one and what to give instead
   */
  public TrainerConfig validate() {
    if ((iterations == null) == (time == null)) {
      throw new IllegalArgumentException("give the budget as --iterations N or --minutes N");
    }
    if (iterations != null && iterations < 1) {
      throw new IllegalArgumentException("--iterations must be at least 1");
    }
    if (time != null && (time.isNegative() || time.isZero())) {
      throw new IllegalArgumentException("--minutes must be more than 0");
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("--batch-size must be at least 1");
    }
    if (!(momentum >= 0 && momentum < 1) || !(weightDecay >= 0)) {
      throw new IllegalArgumentException("--momentum must be in [0, 1) and --weight-decay >= 0");
    }
    if (threads < 1 || loaderThreads < 1) {
      throw new IllegalArgumentException("--threads and --loader-threads must be at least 1");
    }
    if (validateEvery < 1 || checkpointEvery < 1) {
      throw new IllegalArgumentException(
          "--validate-every and --checkpoint-every must be at least 1");
    }
    if (init != null && resume != null) {
      throw new IllegalArgumentException(
          "--init and --resume exclude each other: --resume continues a run with its own weights");
    }
    return this;
  }
}
