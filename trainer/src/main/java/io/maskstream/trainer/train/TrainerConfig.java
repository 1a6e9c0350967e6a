package io.maskstream.trainer.train;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Everything one training run needs. Immutable; {@link #validate()} checks the values a user can
 * get wrong.
 *
 * @param data the training dataset folder
 * @param validation the validation dataset folder, or null for none
 * @param out the ONNX file to write
 * @param checkpoints the folder for {@code last/} and {@code best/} checkpoints
 * @param preset the network
 * @param minSizes the short-side sizes to train at, one picked per image (the last one also for
 *     validation and the exported model); empty for the preset's own
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
    List<Integer> minSizes,
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

  /** Copies the list. */
  public TrainerConfig {
    minSizes = List.copyOf(minSizes);
  }

  /** Warm-up iterations when none are given: a tenth of an iteration budget, at most 1000. */
  public static int defaultWarmup(Long iterations) {
    return iterations == null ? 100 : (int) Math.min(1000, Math.max(1, iterations / 10));
  }

  /**
   * torchvision's base learning rate for a batch: 0.02 for 16 images, scaled linearly. Measured
   * against a quarter and four times it for the {@code tiny} network, from scratch and fine-tuning,
   * under minute and iteration budgets ({@code TrainRecipeBenchmark}): ahead after 20 minutes,
   * level under 1000 iterations, level with a quarter of it and ahead of four times it when
   * fine-tuning.
   */
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

  /**
   * A builder starting from the defaults of {@code maskstream train}: the {@code tiny} preset,
   * batch 4, torchvision's learning rate for it, its warm-up for the budget and its milestones,
   * momentum 0.9, weight decay 1e-4, seed 0, all cores, 2 loader threads, validation and
   * checkpoints every 500 iterations, checkpoints next to {@code out}, no progress bar.
   */
  public static Builder builder(Path data, Path out) {
    return new Builder(data, out);
  }

  /** A copy of this configuration to change. */
  public Builder toBuilder() {
    Builder b = new Builder(data, out);
    b.validation = validation;
    b.checkpoints = checkpoints;
    b.preset = preset;
    b.minSizes = minSizes;
    b.init = init;
    b.resume = resume;
    b.iterations = iterations;
    b.time = time;
    b.batchSize = batchSize;
    b.schedule = schedule;
    b.momentum = momentum;
    b.weightDecay = weightDecay;
    b.seed = seed;
    b.threads = threads;
    b.loaderThreads = loaderThreads;
    b.validateEvery = validateEvery;
    b.checkpointEvery = checkpointEvery;
    b.skipBad = skipBad;
    b.progressBar = progressBar;
    return b;
  }

  /** Builds a {@link TrainerConfig}; settings not given keep the defaults of {@link #builder}. */
  public static final class Builder {
    private final Path data;
    private final Path out;
    private Path validation;
    private Path checkpoints;
    private Preset preset = Preset.TINY;
    private List<Integer> minSizes = List.of();
    private Path init;
    private Path resume;
    private Long iterations;
    private Duration time;
    private int batchSize = 4;
    private LrSchedule schedule;
    private double momentum = 0.9;
    private double weightDecay = 1e-4;
    private long seed;
    private int threads = Runtime.getRuntime().availableProcessors();
    private int loaderThreads = 2;
    private int validateEvery = 500;
    private int checkpointEvery = 500;
    private boolean skipBad;
    private boolean progressBar;

    private Builder(Path data, Path out) {
      this.data = data;
      this.out = out;
    }

    /** The validation dataset, or null for none. */
    public Builder validation(Path dir) {
      this.validation = dir;
      return this;
    }

    /** The checkpoint folder (default: the {@code out} file's name + {@code .checkpoints}). */
    public Builder checkpoints(Path dir) {
      this.checkpoints = dir;
      return this;
    }

    /** The network. */
    public Builder preset(Preset p) {
      this.preset = p;
      return this;
    }

    /** The short-side sizes to train at (empty: the preset's own). */
    public Builder minSizes(List<Integer> sizes) {
      this.minSizes = sizes;
      return this;
    }

    /** Initial weights, or null. */
    public Builder init(Path weights) {
      this.init = weights;
      return this;
    }

    /** A checkpoint to resume, or null. */
    public Builder resume(Path checkpoint) {
      this.resume = checkpoint;
      return this;
    }

    /** An iteration budget (replacing a time budget). */
    public Builder iterations(long n) {
      this.iterations = n;
      this.time = null;
      return this;
    }

    /** A time budget (replacing an iteration budget). */
    public Builder time(Duration budget) {
      this.time = budget;
      this.iterations = null;
      return this;
    }

    /** Both budgets as given, either may be null (for the command line to check). */
    public Builder budget(Long iterations, Duration time) {
      this.iterations = iterations;
      this.time = time;
      return this;
    }

    /** Images per iteration. */
    public Builder batchSize(int n) {
      this.batchSize = n;
      return this;
    }

    /** The learning-rate schedule (default: torchvision's for the batch size and budget). */
    public Builder schedule(LrSchedule s) {
      this.schedule = s;
      return this;
    }

    /** SGD momentum and weight decay. */
    public Builder sgd(double momentum, double weightDecay) {
      this.momentum = momentum;
      this.weightDecay = weightDecay;
      return this;
    }

    /** The seed. */
    public Builder seed(long s) {
      this.seed = s;
      return this;
    }

    /** Compute threads and batch-loading threads. */
    public Builder threads(int compute, int loader) {
      this.threads = compute;
      this.loaderThreads = loader;
      return this;
    }

    /** Iterations between validations and between checkpoints. */
    public Builder every(int validate, int checkpoint) {
      this.validateEvery = validate;
      this.checkpointEvery = checkpoint;
      return this;
    }

    /** Whether bad annotations are skipped. */
    public Builder skipBad(boolean on) {
      this.skipBad = on;
      return this;
    }

    /** Whether a progress bar is drawn. */
    public Builder progressBar(boolean on) {
      this.progressBar = on;
      return this;
    }

    /** The configuration (not yet validated: {@link TrainerConfig#validate()}). */
    public TrainerConfig build() {
      LrSchedule s =
          schedule != null
              ? schedule
              : new LrSchedule(
                  defaultLr(batchSize),
                  defaultWarmup(iterations),
                  0.001,
                  LrSchedule.TORCHVISION_MILESTONES,
                  0.1);
      Path c =
          checkpoints != null
              ? checkpoints
              : out.toAbsolutePath()
                  .resolveSibling(
                      out.getFileName().toString().replaceFirst("\\.onnx$", "") + ".checkpoints");
      return new TrainerConfig(
          data,
          validation,
          out,
          c,
          preset,
          minSizes,
          init,
          resume,
          iterations,
          time,
          batchSize,
          s,
          momentum,
          weightDecay,
          seed,
          threads,
          loaderThreads,
          validateEvery,
          checkpointEvery,
          skipBad,
          progressBar);
    }
  }
}
