package io.maskstream.trainer;

import io.maskstream.schemas.cli.KafkaOptions;
import io.maskstream.schemas.cli.UserException;
import io.maskstream.schemas.models.ModelFile;
import io.maskstream.schemas.models.ModelStore;
import io.maskstream.trainer.export.ExportInfo;
import io.maskstream.trainer.export.OnnxExporter;
import io.maskstream.trainer.train.Checkpoint;
import io.maskstream.trainer.train.LrSchedule;
import io.maskstream.trainer.train.Preset;
import io.maskstream.trainer.train.Trainer;
import io.maskstream.trainer.train.TrainerConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code maskstream train}: trains Mask R-CNN on a COCO dataset and exports it as an ONNX model the
 * detector runs. Ctrl-C (SIGTERM) saves a checkpoint that {@code --resume} continues from.
 */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Trains Mask R-CNN on a COCO dataset and exports an ONNX model.",
      "Checkpoints go to --checkpoints (last/ for --resume, best/ by validation mask AP);"
          + " Ctrl-C saves last/ and stops.",
      "With --init WEIGHTS --iterations 0 it trains nothing and no --data is needed: it exports"
          + " the weights (e.g. a PyTorch .pth state dict) as they are."
    })
public final class TrainCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--data",
      paramLabel = "DIR",
      description =
          "The training dataset: a folder with annotations.json and the images (not with"
              + " --iterations 0).")
  Path data;

  @Option(
      names = "--out",
      paramLabel = "model.onnx",
      required = true,
      description = "The ONNX model to write.")
  Path out;

  @Option(
      names = "--preset",
      paramLabel = "NAME",
      defaultValue = "tiny",
      converter = PresetConverter.class,
      description =
          "tiny, r18-fpn or r50-fpn (default: ${DEFAULT-VALUE}; with --iterations 0 the preset"
              + " the --init weights are of).")
  Preset preset;

  @Option(
      names = "--min-size",
      paramLabel = "PX",
      split = ",",
      description =
          "Short-side sizes to resize images to: with several (e.g. 224,240,256), each training"
              + " image gets one picked from the seed (multi-scale training, as torchvision's"
              + " recipes); the last one is used for validation and by the exported model"
              + " (default: the preset's, 256 for tiny and 800 for r18-fpn/r50-fpn; the long"
              + " side stays at most 512 or 1333).")
  java.util.List<Integer> minSizes = new java.util.ArrayList<>();

  @ArgGroup(exclusive = true, multiplicity = "1")
  Budget budget;

  static final class Budget {
    @Option(names = "--minutes", paramLabel = "N", description = "Train for N minutes.")
    Double minutes;

    @Option(
        names = "--iterations",
        paramLabel = "N",
        description = "Train for N iterations (0: export the --init weights untrained).")
    Long iterations;
  }

  @Option(
      names = "--val",
      paramLabel = "DIR",
      description = "A validation dataset: COCO AP every --validate-every iterations.")
  Path validation;

  @Option(
      names = "--init",
      paramLabel = "WEIGHTS",
      description = {
        "Initial weights: a checkpoint folder, a state dict with torchvision's names (.safetensors,"
            + " or .pth as torch.save(model.state_dict(), ...) writes it), a model.onnx train"
            + " wrote (its model.safetensors beside it), or a published model NAME (the version"
            + " announced now) or NAME@VERSION from the model store.",
        "Classes are carried over by name (new ones start fresh); other tensors of another"
            + " shape stay initialised."
      })
  String init;

  @Option(
      names = "--classes",
      paramLabel = "NAME",
      split = ",",
      description =
          "With --iterations 0: the class names of the --init weights in label order, without"
              + " the background (default: the names the weights carry, or COCO's for weights of"
              + " torchvision's 91 COCO classes).")
  java.util.List<String> classes;

  @Mixin KafkaOptions kafka;

  @Option(
      names = "--resume",
      paramLabel = "CHECKPOINT",
      description = "Continue a run exactly from its checkpoints/last folder.")
  Path resume;

  @Option(
      names = "--checkpoints",
      paramLabel = "DIR",
      description = "Checkpoint folder (default: the --out file's name + .checkpoints).")
  Path checkpoints;

  @Option(
      names = "--batch-size",
      paramLabel = "N",
      defaultValue = "4",
      description = "Images per iteration (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(
      names = "--lr",
      paramLabel = "RATE",
      description = "Base learning rate (default: 0.02 x batch size / 16, as torchvision).")
  Double lr;

  @Option(
      names = "--warmup",
      paramLabel = "N",
      description =
          "Linear warm-up iterations (default: a tenth of --iterations, at most 1000;"
              + " 100 with --minutes).")
  Integer warmup;

  @Option(
      names = "--lr-steps",
      paramLabel = "F,F",
      split = ",",
      description =
          "Fractions of the budget where the rate drops by --lr-gamma (default: 0.615,0.846,"
              + " torchvision's epochs 16 and 22 of 26).")
  double[] lrSteps;

  @Option(
      names = "--lr-gamma",
      paramLabel = "G",
      defaultValue = "0.1",
      description = "Learning-rate decay factor (default: ${DEFAULT-VALUE}).")
  double gamma;

  @Option(
      names = "--momentum",
      paramLabel = "M",
      defaultValue = "0.9",
      description = "SGD momentum (default: ${DEFAULT-VALUE}).")
  double momentum;

  @Option(
      names = "--weight-decay",
      paramLabel = "W",
      defaultValue = "1e-4",
      description = "SGD weight decay (default: ${DEFAULT-VALUE}).")
  double weightDecay;

  @Option(
      names = "--seed",
      paramLabel = "S",
      defaultValue = "0",
      description = "Seed of initialisation, shuffling, flips and sampling (default: 0).")
  long seed;

  @Option(
      names = "--threads",
      paramLabel = "N",
      description = "Compute threads (default: the number of cores).")
  Integer threads;

  @Option(
      names = "--loader-threads",
      paramLabel = "N",
      defaultValue = "2",
      description = "Threads reading and preparing batches (default: ${DEFAULT-VALUE}).")
  int loaderThreads;

  @Option(
      names = "--validate-every",
      paramLabel = "N",
      defaultValue = "500",
      description = "Iterations between validations (default: ${DEFAULT-VALUE}; also at the end).")
  int validateEvery;

  @Option(
      names = "--checkpoint-every",
      paramLabel = "N",
      defaultValue = "500",
      description = "Iterations between checkpoints (default: ${DEFAULT-VALUE}; also at the end).")
  int checkpointEvery;

  @Option(
      names = "--skip-bad",
      description = "Leave bad annotations and unreadable images out (counted) instead of failing.")
  boolean skipBad;

  @Option(
      names = "--name",
      paramLabel = "NAME",
      description = "Model name in the ONNX metadata (default: the --out file name without .onnx).")
  String name;

  @Override
  public Integer call() throws IOException {
    if (budget.iterations != null && budget.iterations == 0) {
      return exportOnly();
    }
    if (data == null) {
      throw new UserException(
          "give --data DIR, the training dataset (only --init WEIGHTS --iterations 0 needs none)");
    }
    if (classes != null) {
      throw new UserException(
          "--classes is for --iterations 0: a training run takes its classes from --data");
    }
    InitWeights.Resolved initial =
        init == null
            ? null
            : InitWeights.resolve(init, checkpointFolder(), () -> kafka.clientProperties());
    TrainerConfig config = config(initial == null ? null : initial.file());
    Path parent = out.toAbsolutePath().getParent();
    if (!Files.isDirectory(parent)) {
      throw new UserException("the folder of --out " + out + " does not exist: create it first");
    }
    Trainer trainer;
    try {
      trainer = new Trainer(config);
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage(), e);
    }
    CountDownLatch finished = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              trainer.requestStop();
              try {
                // let the run save its checkpoint before the JVM goes
                finished.await(2, TimeUnit.MINUTES);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "train-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    PrintWriter console = spec.commandLine().getOut();
    try {
      Trainer.Result result = trainer.run();
      try (var model = result.model()) {
        if (result.stopped()) {
          console.println(
              "stopped at iteration "
                  + result.state().iteration()
                  + "; continue with: maskstream train ... --resume "
                  + trainer.last());
          return 1;
        }
        Path weights = InitWeights.besideModel(out);
        if (result.keypoints() == null) {
          Checkpoint.saveWeights(weights, model, preset.label(), result.classNames());
        } else {
          Checkpoint.saveWeights(
              weights,
              model,
              preset.label(),
              result.classNames(),
              result.keypoints().names(),
              result.keypoints().skeleton());
        }
        String weightsSha = ModelStore.sha256Hex(Files.readAllBytes(weights));
        OnnxExporter.export(model, exportInfo(result, initial, weights, weightsSha), out);
        console.printf(
            Locale.ROOT,
            "wrote %s and its training weights %s (%s, %d iterations in %s%s)%n",
            out,
            weights.getFileName(),
            preset,
            result.state().iteration(),
            Duration.ofMillis(result.state().elapsedMillis())
                .toString()
                .substring(2)
                .toLowerCase(Locale.ROOT),
            result.state().bestIteration() < 0
                ? ""
                : String.format(
                    Locale.ROOT,
                    ", best validation at %d: box AP %.4f, mask AP %.4f",
                    result.state().bestIteration(),
                    result.state().bestBoxAp(),
                    result.state().bestMaskAp()));
        console.flush();
        return 0;
      }
    } finally {
      finished.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // the JVM is already shutting down
      }
    }
  }

  /** {@code --iterations 0}: the --init weights exported as they are, no training. */
  private int exportOnly() throws IOException {
    if (init == null) {
      throw new UserException(
          "--iterations 0 exports --init weights untrained: give --init WEIGHTS, or train for"
              + " at least 1 iteration");
    }
    if (data != null || validation != null || resume != null) {
      throw new UserException(
          "--iterations 0 exports --init as it is and reads no dataset: leave out --data, --val"
              + " and --resume (name the classes with --classes)");
    }
    Path parent = out.toAbsolutePath().getParent();
    if (!Files.isDirectory(parent)) {
      throw new UserException("the folder of --out " + out + " does not exist: create it first");
    }
    InitWeights.Resolved initial =
        InitWeights.resolve(init, checkpointFolder(), () -> kafka.clientProperties());
    String what = "--init " + init;
    io.maskstream.trainer.engine.Safetensors.Contents weights;
    try {
      weights = Checkpoint.readInit(initial.file());
    } catch (IOException e) {
      throw new UserException("cannot read --init " + init + ": " + e.getMessage(), e);
    }
    try (weights) {
      Preset network = preset;
      if (!spec.commandLine().getParseResult().hasMatchedOption("--preset")) {
        String named = weights.metadata().get(ModelFile.PRESET_KEY);
        network = named != null ? Preset.parse(named) : WeightsExport.presetOf(weights.tensors());
      }
      long numClasses = WeightsExport.numClasses(what, weights.tensors());
      java.util.List<io.maskstream.trainer.model.InputTransform> sizes =
          network.trainingSizes(minSizes);
      try (var model =
          WeightsExport.load(what, network, weights.tensors(), sizes.get(sizes.size() - 1))) {
        java.util.List<String> names =
            WeightsExport.classNames(
                what, numClasses, classes, Checkpoint.classesOf(weights.metadata()));
        Path beside = InitWeights.besideModel(out);
        ExportInfo described =
            WeightsExport.withKeypoints(
                new ExportInfo("described", network.label(), names),
                model.roiHeads().keypoints(),
                weights.metadata());
        Checkpoint.saveWeights(
            beside, model, network.label(), names, described.keypointNames(), described.skeleton());
        Map<String, String> provenance = new LinkedHashMap<>();
        provenance.put(ModelFile.WEIGHTS_KEY, beside.getFileName().toString());
        provenance.put(
            ModelFile.WEIGHTS_SHA256_KEY, ModelStore.sha256Hex(Files.readAllBytes(beside)));
        provenance.put(ModelFile.INIT_KEY, initial.description());
        provenance.put(ModelFile.ITERATIONS_KEY, "0");
        provenance.put(ModelFile.FINISHED_KEY, Instant.now().toString());
        String modelName =
            name != null ? name : out.getFileName().toString().replaceFirst("\\.onnx$", "");
        OnnxExporter.export(
            model,
            new ExportInfo(modelName, network.label(), names, provenance)
                .withKeypoints(described.keypointNames(), described.skeleton()),
            out);
        spec.commandLine()
            .getOut()
            .printf(
                Locale.ROOT,
                "wrote %s and its weights %s (%s, %d classes, untrained: the weights of %s)%n",
                out,
                beside.getFileName(),
                network,
                numClasses - 1,
                init);
        spec.commandLine().getOut().flush();
        return 0;
      }
    }
  }

  private ExportInfo exportInfo(
      Trainer.Result result, InitWeights.Resolved initial, Path weights, String weightsSha) {
    Map<String, String> provenance = new LinkedHashMap<>();
    provenance.put(ModelFile.WEIGHTS_KEY, weights.getFileName().toString());
    provenance.put(ModelFile.WEIGHTS_SHA256_KEY, weightsSha);
    if (initial != null) {
      provenance.put(ModelFile.INIT_KEY, initial.description());
    }
    provenance.put(ModelFile.DATASET_KEY, data.toAbsolutePath().normalize().toString());
    provenance.put(ModelFile.ITERATIONS_KEY, Long.toString(result.state().iteration()));
    provenance.put(ModelFile.SECONDS_KEY, Long.toString(result.state().elapsedMillis() / 1000));
    provenance.put(ModelFile.BATCH_SIZE_KEY, Integer.toString(batchSize));
    provenance.put(ModelFile.SEED_KEY, Long.toString(seed));
    if (!minSizes.isEmpty()) {
      provenance.put(
          ModelFile.MIN_SIZES_KEY,
          minSizes.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(",")));
    }
    provenance.put(ModelFile.FINISHED_KEY, Instant.now().toString());
    if (result.state().bestIteration() >= 0) {
      provenance.put(ModelFile.VALIDATION_KEY, validation.toAbsolutePath().normalize().toString());
      provenance.put(ModelFile.BEST_ITERATION_KEY, Long.toString(result.state().bestIteration()));
      provenance.put(ModelFile.BOX_AP_KEY, Double.toString(result.state().bestBoxAp()));
      provenance.put(ModelFile.MASK_AP_KEY, Double.toString(result.state().bestMaskAp()));
    }
    String modelName =
        name != null ? name : out.getFileName().toString().replaceFirst("\\.onnx$", "");
    ExportInfo info = new ExportInfo(modelName, preset.label(), result.classNames(), provenance);
    return result.keypoints() == null
        ? info
        : info.withKeypoints(result.keypoints().names(), result.keypoints().skeleton());
  }

  /** The checkpoint folder: {@code --checkpoints}, else the --out file's name + .checkpoints. */
  private Path checkpointFolder() {
    return checkpoints != null
        ? checkpoints
        : out.toAbsolutePath()
            .resolveSibling(
                out.getFileName().toString().replaceFirst("\\.onnx$", "") + ".checkpoints");
  }

  TrainerConfig config() {
    return config(init == null ? null : Path.of(init));
  }

  TrainerConfig config(Path initialWeights) {
    Long iterations = budget.iterations;
    Duration time = null;
    if (budget.minutes != null) {
      if (!(budget.minutes > 0) || budget.minutes > 60 * 24 * 365) {
        throw new UserException("--minutes must be more than 0, got " + budget.minutes);
      }
      time = Duration.ofMillis((long) (budget.minutes * 60_000));
    }
    if (!Files.isDirectory(data)) {
      throw new UserException("--data " + data + " is not a folder: give a COCO dataset folder");
    }
    if (validation != null && !Files.isDirectory(validation)) {
      throw new UserException(
          "--val " + validation + " is not a folder: give a COCO dataset folder");
    }
    if (batchSize < 1) {
      throw new UserException("--batch-size must be at least 1, got " + batchSize);
    }
    double rate = lr != null ? lr : TrainerConfig.defaultLr(batchSize);
    int warm = warmup != null ? warmup : TrainerConfig.defaultWarmup(iterations);
    LrSchedule schedule;
    try {
      schedule =
          new LrSchedule(
              rate,
              warm,
              0.001,
              lrSteps != null ? lrSteps : LrSchedule.TORCHVISION_MILESTONES,
              gamma);
    } catch (IllegalArgumentException e) {
      throw new UserException(
          "bad learning-rate settings (--lr "
              + rate
              + ", --warmup "
              + warm
              + ", --lr-steps "
              + Arrays.toString(lrSteps)
              + "): "
              + e.getMessage(),
          e);
    }
    return TrainerConfig.builder(data, out)
        .validation(validation)
        .checkpoints(checkpoints)
        .preset(preset)
        .minSizes(minSizes)
        .init(initialWeights)
        .resume(resume)
        .budget(iterations, time)
        .batchSize(batchSize)
        .schedule(schedule)
        .sgd(momentum, weightDecay)
        .seed(seed)
        .threads(
            threads != null ? threads : Runtime.getRuntime().availableProcessors(), loaderThreads)
        .every(validateEvery, checkpointEvery)
        .skipBad(skipBad)
        .progressBar(System.console() != null)
        .build();
  }

  /** Parses {@code --preset} values. */
  static final class PresetConverter implements ITypeConverter<Preset> {
    @Override
    public Preset convert(String value) {
      try {
        return Preset.parse(value);
      } catch (UserException e) {
        throw new picocli.CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }
}
