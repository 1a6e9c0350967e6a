package io.maskstream.trainer.train;

import io.maskstream.schemas.cli.UserException;
import io.maskstream.trainer.data.BatchLoader;
import io.maskstream.trainer.data.CocoDataset;
import io.maskstream.trainer.data.DatasetCategory;
import io.maskstream.trainer.data.KeypointSpec;
import io.maskstream.trainer.data.Sample;
import io.maskstream.trainer.data.TrainingTargets;
import io.maskstream.trainer.engine.Safetensors;
import io.maskstream.trainer.engine.Torch;
import io.maskstream.trainer.model.InputTransform;
import io.maskstream.trainer.model.MaskRcnn;
import io.maskstream.trainer.model.StageTimes;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.SGD;
import org.bytedeco.pytorch.SGDOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains Mask R-CNN as torchvision's reference detection training does: SGD with momentum and
 * weight decay on every trained parameter, linear warm-up and multi-step decay of the learning
 * rate, the sum of the losses per iteration. Validates every so many iterations with COCO AP
 * (keeping the best weights by mask AP), checkpoints for an exact resume, and leaves the best (or,
 * without validation, the last) weights in the network it returns.
 *
 * <p>One run per instance; {@link #requestStop()} may be called from another thread (a shutdown
 * hook): the run then saves a checkpoint and returns early.
 */
// each PointerScope releases the temporaries created inside it without naming them
@SuppressWarnings("try")
public final class Trainer {
  private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);
  private static final String BACKGROUND = "__background__";

  private final TrainerConfig config;
  private final Listener listener;
  private final StageTimes stageTimes;
  private volatile boolean stopRequested;

  /** Told of each iteration as it ends, on the training thread. */
  @FunctionalInterface
  public interface Listener {
    /**
     * Called after iteration {@code iteration} (from 1) with its losses by name; may call {@link
     * Trainer#requestStop()}.
     */
    void iterationDone(long iteration, Map<String, Double> losses);
  }

  /** A run of {@code config}. */
  public Trainer(TrainerConfig config) {
    this(config, (iteration, losses) -> {});
  }

  /**
   * A run of {@code config} that tells {@code listener} of each iteration.
   *
   * @throws IllegalArgumentException for an invalid setting ({@link TrainerConfig#validate()})
   */
  public Trainer(TrainerConfig config, Listener listener) {
    this(config, listener, StageTimes.off());
  }

  /**
   * A run of {@code config} that tells {@code listener} of each iteration and charges the time of
   * each stage of an iteration to {@code stageTimes} (the speed benchmark's profile).
   *
   * @throws IllegalArgumentException for an invalid setting ({@link TrainerConfig#validate()})
   */
  public Trainer(TrainerConfig config, Listener listener, StageTimes stageTimes) {
    this.config = config.validate();
    this.listener = listener;
    this.stageTimes = stageTimes;
  }

  /**
   * The end of a run.
   *
   * @param model the trained network (best validated weights when there was a validation), the
   *     caller's to close
   * @param classNames index = label, 0 the background
   * @param state where the run stands (iterations, time, best AP, last losses)
   * @param validation the last validation's result, or null without a validation set
   * @param stopped whether the run stopped early on request (the model is then not final)
   * @param keypoints the dataset's keypoints, which the model predicts, or null
   */
  public record Result(
      MaskRcnn model,
      List<String> classNames,
      Checkpoint.State state,
      Validation.Result validation,
      boolean stopped,
      KeypointSpec keypoints) {}

  /** Asks a running {@link #run()} to checkpoint and return at the end of its iteration. */
  public void requestStop() {
    stopRequested = true;
  }

  /**
   * Trains.
   *
   * @throws UserException for a dataset, checkpoint or setting the user must fix
   * @throws IOException if a checkpoint cannot be written
   */
  public Result run() throws IOException {
    Torch.load();
    torch.set_num_threads(config.threads());
    CocoDataset dataset = CocoDataset.load(config.data(), config.skipBad());
    List<Sample> samples = TrainingTargets.usable(dataset.samples());
    if (samples.isEmpty()) {
      throw new UserException(
          "no image in "
              + config.data()
              + " has an object to learn from (non-crowd, wider and"
              + " taller than a pixel): check its annotations.json");
    }
    List<String> classNames = new ArrayList<>(List.of(BACKGROUND));
    List<Long> categoryIds = new ArrayList<>(List.of(0L));
    for (DatasetCategory c : dataset.categories()) {
      if (c.label() != classNames.size()) {
        throw new IllegalStateException("labels are not contiguous at " + c);
      }
      classNames.add(c.name());
      categoryIds.add(c.categoryId());
    }
    Validation validation = config.validation() == null ? null : validation(dataset);
    LOG.info(
        "training {} on {} images of {} ({} classes){}",
        config.preset(),
        samples.size(),
        config.data(),
        classNames.size() - 1,
        validation == null
            ? ", no validation set"
            : ", validating on " + validation.size() + " images of " + config.validation());

    Checkpoint.State resumed = config.resume() == null ? null : resumedState(classNames);
    List<InputTransform> sizes = config.preset().trainingSizes(config.minSizes());
    int keypoints = dataset.keypoints().map(KeypointSpec::count).orElse(0);
    if (keypoints > 0) {
      LOG.info(
          "with a keypoint head: {} keypoints {}",
          keypoints,
          dataset.keypoints().orElseThrow().names());
    }
    MaskRcnn model =
        config
            .preset()
            .create(
                new SplittableRandom(config.seed()),
                classNames.size(),
                sizes.get(sizes.size() - 1),
                new MaskRcnn.Branches(true, keypoints));
    try {
      if (config.init() != null) {
        initialise(model, classNames);
      }
      if (resumed != null) {
        Checkpoint.loadModel(config.resume(), model);
      }
      Standing standing = new Standing(classNames, categoryIds, resumed);
      standing.keypoints = dataset.keypoints().orElse(null);
      return train(model, samples, standing, validation);
    } catch (IOException | RuntimeException e) {
      model.close();
      throw e;
    }
  }

  /** Where the run stands, as the checkpoints record it. Changed by the training loop only. */
  private final class Standing {
    final List<String> classNames;
    final List<Long> categoryIds;
    final long elapsedBefore;
    final long startNanos = System.nanoTime();
    long iteration;
    long bestIteration = -1;
    double bestBox;
    double bestMask = -1;
    Map<String, Double> losses = Map.of();
    KeypointSpec keypoints;

    Standing(List<String> classNames, List<Long> categoryIds, Checkpoint.State resumed) {
      this.classNames = List.copyOf(classNames);
      this.categoryIds = List.copyOf(categoryIds);
      this.elapsedBefore = resumed == null ? 0 : resumed.elapsedMillis();
      if (resumed != null) {
        iteration = resumed.iteration();
        bestIteration = resumed.bestIteration();
        bestBox = resumed.bestBoxAp();
        bestMask = bestIteration < 0 ? -1 : resumed.bestMaskAp();
        losses = resumed.losses();
      }
    }

    Duration elapsed() {
      return Duration.ofMillis(elapsedBefore + (System.nanoTime() - startNanos) / 1_000_000);
    }

    Checkpoint.State state() {
      return new Checkpoint.State(
          iteration,
          elapsed().toMillis(),
          config.seed(),
          config.preset().label(),
          classNames,
          categoryIds,
          bestIteration,
          bestBox,
          Math.max(0, bestMask),
          losses);
    }
  }

  private Result train(MaskRcnn model, List<Sample> samples, Standing run, Validation validation)
      throws IOException {
    Map<String, Tensor> trained = model.trainableParameters();
    TensorVector parameters = new TensorVector(trained.values().toArray(new Tensor[0]));
    SGDOptions options = new SGDOptions(config.schedule().baseLr());
    options.momentum().put(config.momentum());
    options.weight_decay().put(config.weightDecay());
    Validation.Result lastValidation = null;
    boolean stopped = false;
    try (SGD sgd = new SGD(parameters, options);
        BatchLoader loader =
            new BatchLoader(
                samples,
                config.preset().trainingSizes(config.minSizes()),
                config.batchSize(),
                config.seed(),
                config.loaderThreads(),
                2,
                run.iteration);
        TrainingProgress progress =
            new TrainingProgress(config, run.iteration, Duration.ofMillis(run.elapsedBefore))) {
      if (config.resume() != null) {
        Checkpoint.loadOptimizer(config.resume(), sgd);
        progress.say("resumed from " + config.resume() + " at iteration " + run.iteration);
      }
      model.train(true);
      Duration elapsed = run.elapsed();
      while (!config.done(run.iteration, elapsed)) {
        double lr = config.schedule().at(run.iteration, config.progress(run.iteration, elapsed));
        sgd.param_groups().get(0).options().set_lr(lr);
        run.losses = step(model, sgd, loader, run.iteration);
        run.iteration++;
        elapsed = run.elapsed();
        progress.update(run.iteration, elapsed, lr, run.losses);
        listener.iterationDone(run.iteration, run.losses);
        boolean last = config.done(run.iteration, elapsed);
        if (validation != null && (run.iteration % config.validateEvery() == 0 || last)) {
          lastValidation = validation.evaluate(model);
          boolean better = lastValidation.maskAp() > run.bestMask;
          progress.say(
              String.format(
                  Locale.ROOT,
                  "iteration %d: box AP %.4f, mask AP %.4f%s on %d images%s",
                  run.iteration,
                  lastValidation.boxAp(),
                  lastValidation.maskAp(),
                  lastValidation.keypoints() == null
                      ? ""
                      : String.format(
                          Locale.ROOT, ", keypoint AP %.4f", lastValidation.keypointAp()),
                  validation.size(),
                  better ? " (best so far)" : ""));
          if (better) {
            run.bestMask = lastValidation.maskAp();
            run.bestBox = lastValidation.boxAp();
            run.bestIteration = run.iteration;
            Checkpoint.save(best(), model, null, run.state());
          }
        }
        if (stopRequested || run.iteration % config.checkpointEvery() == 0 || last) {
          Checkpoint.save(last(), model, sgd, run.state());
        }
        if (stopRequested) {
          progress.say(
              "stopped at iteration " + run.iteration + "; continue with --resume " + last());
          stopped = true;
          break;
        }
      }
    }
    if (!stopped && run.bestIteration >= 0 && run.bestIteration != run.iteration) {
      LOG.info("keeping the weights of iteration {}, the best on validation", run.bestIteration);
      Checkpoint.loadModel(best(), model);
    }
    model.train(false);
    return new Result(model, run.classNames, run.state(), lastValidation, stopped, run.keypoints);
  }

  /** One SGD step on the next batch; returns the losses by name. */
  private Map<String, Double> step(MaskRcnn model, SGD sgd, BatchLoader loader, long iteration) {
    Map<String, Double> values = new LinkedHashMap<>();
    stageTimes.start();
    try (PointerScope scope = new PointerScope();
        BatchLoader.TrainingBatch batch = loader.next()) {
      stageTimes.lap("data");
      Map<String, Tensor> losses =
          model.losses(
              batch.inputs().images(),
              batch.inputs().sizes(),
              batch.targets(),
              samplerRandom(iteration),
              stageTimes);
      Tensor total = null;
      for (Map.Entry<String, Tensor> e : losses.entrySet()) {
        values.put(e.getKey(), (double) Torch.toFloats(e.getValue())[0]);
        total = total == null ? e.getValue() : total.add(e.getValue());
      }
      double sum = values.values().stream().mapToDouble(Double::doubleValue).sum();
      if (!Double.isFinite(sum)) {
        throw new UserException(
            String.format(
                Locale.ROOT,
                "training diverged at iteration %d (losses %s): lower --lr (now %g) or lengthen"
                    + " --warmup, and continue from the last checkpoint with --resume",
                iteration,
                values,
                config.schedule().baseLr()));
      }
      stageTimes.lap("losses read");
      sgd.zero_grad(true);
      Objects.requireNonNull(total).backward();
      stageTimes.lap("backward");
      sgd.step();
      losses.values().forEach(Tensor::close);
      stageTimes.lap("optimiser");
    }
    return values;
  }

  /** The RPN and RoI samplers' random source at an iteration: a function of seed and iteration. */
  private SplittableRandom samplerRandom(long iteration) {
    return new SplittableRandom(config.seed() * 0x9e3779b97f4a7c15L + iteration).split();
  }

  private Validation validation(CocoDataset training) {
    CocoDataset data = CocoDataset.load(config.validation(), config.skipBad());
    long[] ids = new long[training.categories().size() + 1];
    for (DatasetCategory c : training.categories()) {
      ids[c.label()] = c.categoryId();
    }
    for (DatasetCategory c : data.categories()) {
      if (training.categoryById(c.categoryId()).isEmpty()) {
        throw new UserException(
            "the validation set "
                + config.validation()
                + " has category "
                + c.categoryId()
                + " ("
                + c.name()
                + "), which the training set does not: validate on data with the same categories");
      }
    }
    return new Validation(data, ids);
  }

  private Checkpoint.State resumedState(List<String> classNames) throws IOException {
    Checkpoint.State state;
    try {
      state = Checkpoint.readState(config.resume());
    } catch (IOException e) {
      throw new UserException("cannot resume: " + e.getMessage(), e);
    }
    if (!state.preset().equals(config.preset().label())) {
      throw new UserException(
          "cannot resume: "
              + config.resume()
              + " is a "
              + state.preset()
              + " run; give --preset "
              + state.preset());
    }
    if (!state.classNames().equals(classNames)) {
      throw new UserException(
          "cannot resume: "
              + config.resume()
              + " was trained on the classes "
              + state.classNames().subList(1, state.classNames().size())
              + ", the dataset has "
              + classNames.subList(1, classNames.size()));
    }
    if (state.seed() != config.seed()) {
      throw new UserException(
          "cannot resume exactly: the run used --seed " + state.seed() + "; give the same seed");
    }
    return state;
  }

  /**
   * Loads the initial weights that fit by name and shape; the others keep their initialisation.
   * When the weights name their classes (weights written by this trainer), the per-class rows of
   * the heads are carried over class by class name ({@link ClassRows}): a class list that grew or
   * changed order keeps what the weights learnt of each class they know, and new classes start
   * fresh.
   */
  private void initialise(MaskRcnn model, List<String> classNames) throws IOException {
    Safetensors.Contents initial;
    try {
      initial = Checkpoint.readInit(config.init());
    } catch (IOException e) {
      throw new UserException("cannot read --init " + config.init() + ": " + e.getMessage(), e);
    }
    List<Tensor> made = new ArrayList<>();
    try (initial) {
      List<String> before = Checkpoint.classesOf(initial.metadata());
      Map<String, Tensor> own = model.stateDict();
      Map<String, Tensor> fitting = new LinkedHashMap<>();
      List<String> otherShape = new ArrayList<>();
      initial
          .tensors()
          .forEach(
              (k, v) -> {
                Tensor mine = own.get(k);
                if (mine == null) {
                  return;
                }
                if (before != null && ClassRows.isClassIndexed(k)) {
                  try {
                    float[] carried =
                        ClassRows.carry(
                            k, Torch.toFloats(v), before, Torch.toFloats(mine), classNames);
                    Tensor t = Torch.floats(carried, mine.shape());
                    made.add(t);
                    fitting.put(k, t);
                  } catch (IllegalArgumentException e) {
                    otherShape.add(k);
                  }
                } else if (Arrays.equals(mine.shape(), v.shape())) {
                  fitting.put(k, v);
                } else {
                  otherShape.add(k);
                }
              });
      if (fitting.isEmpty()) {
        throw new UserException(
            "no tensor of --init "
                + config.init()
                + " fits the "
                + config.preset()
                + " network by name and shape: give weights of the same preset");
      }
      model.loadStateDict(fitting, false);
      LOG.info(
          "initial weights from {}: {} of {} tensors loaded{}{}",
          config.init(),
          fitting.size(),
          own.size(),
          otherShape.isEmpty() ? "" : ", kept initialised for another shape: " + otherShape,
          before == null ? "" : classesCarried(before, classNames));
    } finally {
      made.forEach(Tensor::close);
    }
  }

  private static String classesCarried(List<String> before, List<String> now) {
    List<String> added = ClassRows.added(before, now);
    List<String> dropped = ClassRows.added(now, before);
    return "; classes carried over by name: "
        + (now.size() - 1 - added.size())
        + (added.isEmpty() ? "" : ", new (start fresh): " + added)
        + (dropped.isEmpty() ? "" : ", not in this dataset: " + dropped);
  }

  /** The folder of the last checkpoint. */
  public Path last() {
    return config.checkpoints().resolve("last");
  }

  /** The folder of the best validated weights. */
  public Path best() {
    return config.checkpoints().resolve("best");
  }
}
