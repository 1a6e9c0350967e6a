package io.maskstream.trainer.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.maskstream.schemas.models.ModelFile;
import io.maskstream.trainer.engine.Module;
import io.maskstream.trainer.engine.PyTorchFile;
import io.maskstream.trainer.engine.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bytedeco.pytorch.InputArchive;
import org.bytedeco.pytorch.Optimizer;
import org.bytedeco.pytorch.OutputArchive;
import org.bytedeco.pytorch.Tensor;

/**
 * A training checkpoint: a folder with the network's state dict ({@code model.safetensors}, keys as
 * torchvision's {@code state_dict}), the optimiser's state ({@code optimizer.pt}, libtorch's own
 * archive of the momentum buffers) and the run's {@code state.json}. Together they resume a run
 * exactly: the batches, flips and samplers are functions of the seed and the iteration. Written to
 * a sibling folder and renamed into place, so a crash while saving leaves the previous checkpoint.
 */
public final class Checkpoint {
  /** The network's weights and buffers. */
  public static final String MODEL = "model.safetensors";

  /** The optimiser's state. */
  public static final String OPTIMIZER = "optimizer.pt";

  /** The run's state. */
  public static final String STATE = "state.json";

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private Checkpoint() {}

  /**
   * Where a run stands.
   *
   * @param iteration iterations done
   * @param elapsedMillis training time so far, validations included
   * @param seed the run's seed
   * @param preset the network preset's label
   * @param classNames the class names, index = label, 0 the background
   * @param categoryIds the dataset's category id of each label, index = label (0 for background)
   * @param bestIteration the iteration of the best validation so far, -1 before any
   * @param bestBoxAp its box AP
   * @param bestMaskAp its mask AP
   * @param losses the last iteration's losses by name
   */
  public record State(
      long iteration,
      long elapsedMillis,
      long seed,
      String preset,
      List<String> classNames,
      List<Long> categoryIds,
      long bestIteration,
      double bestBoxAp,
      double bestMaskAp,
      Map<String, Double> losses) {}

  /**
   * Saves a checkpoint to {@code dir}, replacing one that is there.
   *
   * @param optimizer the optimiser, or null to save the weights only (a best-model checkpoint)
   * @throws IOException if it cannot be written
   */
  public static void save(Path dir, Module model, Optimizer optimizer, State state)
      throws IOException {
    Path parent = dir.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path tmp = parent.resolve(dir.getFileName() + ".saving");
    deleteTree(tmp);
    Files.createDirectories(tmp);
    saveWeights(tmp.resolve(MODEL), model, state.preset(), state.classNames());
    if (optimizer != null) {
      try (OutputArchive archive = new OutputArchive()) {
        optimizer.save(archive);
        archive.save_to(tmp.resolve(OPTIMIZER).toString());
      }
    }
    JSON.writeValue(tmp.resolve(STATE).toFile(), state);
    Path old = parent.resolve(dir.getFileName() + ".old");
    deleteTree(old);
    if (Files.exists(dir)) {
      Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
    }
    Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    deleteTree(old);
  }

  /**
   * Reads a checkpoint's state.
   *
   * @throws IOException if {@code dir} is not a checkpoint folder
   */
  public static State readState(Path dir) throws IOException {
    Path file = dir.resolve(STATE);
    if (!Files.isRegularFile(file) || !Files.isRegularFile(dir.resolve(MODEL))) {
      throw new IOException(
          dir
              + " is not a checkpoint: it needs "
              + STATE
              + " and "
              + MODEL
              + " (a checkpoints/"
              + "last or checkpoints/best folder of a training run)");
    }
    return JSON.readValue(file.toFile(), State.class);
  }

  /**
   * Copies a checkpoint's weights into {@code model} (every key must fit).
   *
   * @throws IOException if they cannot be read
   * @throws IllegalArgumentException if they do not fit the network
   */
  public static void loadModel(Path dir, Module model) throws IOException {
    try (Safetensors.Contents contents = Safetensors.read(dir.resolve(MODEL))) {
      model.loadStateDict(contents.tensors(), true);
    }
  }

  /**
   * Restores the optimiser's state saved with the checkpoint.
   *
   * @throws IOException if the checkpoint has no optimiser state
   */
  public static void loadOptimizer(Path dir, Optimizer optimizer) throws IOException {
    Path file = dir.resolve(OPTIMIZER);
    if (!Files.isRegularFile(file)) {
      throw new IOException(dir + " holds weights only (no " + OPTIMIZER + "): resume from last/");
    }
    try (InputArchive archive = new InputArchive()) {
      archive.load_from(file.toString());
      optimizer.load(archive);
    }
  }

  /**
   * The tensors of initial weights: a checkpoint folder's {@value #MODEL}, or a safetensors file.
   * The caller closes them.
   *
   * @throws IOException if they cannot be read
   */
  public static Map<String, Tensor> readWeights(Path path) throws IOException {
    return readInit(path).tensors();
  }

  /**
   * Initial weights with their metadata: a checkpoint folder's {@value #MODEL}, a safetensors file,
   * or a PyTorch state dict as {@code torch.save(model.state_dict(), "model.pth")} writes it, in
   * its zip format or that from before PyTorch 1.6 (without metadata). The caller closes them.
   *
   * @throws IOException if they cannot be read
   */
  public static Safetensors.Contents readInit(Path path) throws IOException {
    Path file = Files.isDirectory(path) ? path.resolve(MODEL) : path;
    if (!Files.isRegularFile(file)) {
      throw new IOException(
          "no weights at " + path + ": give a checkpoint folder, a .safetensors or a .pth file");
    }
    byte[] head = PyTorchFile.head(file);
    if (PyTorchFile.isZip(head) || PyTorchFile.isLegacy(head)) {
      return torchvisionNames(PyTorchFile.readStateDict(file));
    }
    return Safetensors.read(file);
  }

  /**
   * The state dict with the names of torchvision 0.13 and later, which renamed the pyramid's, the
   * RPN head's and the mask head's convolutions (its published COCO weights still use the earlier
   * names, which torchvision renames on loading, as here).
   */
  static Safetensors.Contents torchvisionNames(Safetensors.Contents contents) {
    Map<String, Tensor> renamed = new LinkedHashMap<>();
    contents
        .tensors()
        .forEach(
            (k, v) -> {
              String name =
                  k.replaceFirst(
                          "^backbone\\.fpn\\.(inner|layer)_blocks\\.(\\d+)\\.(weight|bias)$",
                          "backbone.fpn.$1_blocks.$2.0.$3")
                      .replaceFirst("^rpn\\.head\\.conv\\.(weight|bias)$", "rpn.head.conv.0.0.$1");
              java.util.regex.Matcher m =
                  java.util.regex.Pattern.compile("^roi_heads\\.mask_head\\.mask_fcn(\\d+)\\.(.+)$")
                      .matcher(name);
              if (m.matches()) {
                name =
                    "roi_heads.mask_head."
                        + (Integer.parseInt(m.group(1)) - 1)
                        + ".0."
                        + m.group(2);
              }
              renamed.put(name, v);
            });
    return new Safetensors.Contents(renamed, contents.metadata());
  }

  /**
   * The class names weights were trained for ({@value ModelFile#CLASSES_KEY} in their metadata,
   * index = label, 0 the background), or null when the weights do not say (e.g. converted from
   * PyTorch).
   *
   * @throws IOException when the entry is there but not a JSON list of names
   */
  public static List<String> classesOf(Map<String, String> metadata) throws IOException {
    String json = metadata.get(ModelFile.CLASSES_KEY);
    if (json == null) {
      return null;
    }
    try {
      return ModelFile.classes(json);
    } catch (IllegalArgumentException e) {
      throw new IOException(ModelFile.CLASSES_KEY + " of the weights is not a list of names", e);
    }
  }

  /**
   * Writes a network's weights as a safetensors file with torchvision's names, its preset and class
   * names in the metadata, replacing {@code file}.
   *
   * @throws IOException if it cannot be written
   */
  public static void saveWeights(Path file, Module model, String preset, List<String> classNames)
      throws IOException {
    saveWeights(file, model, preset, classNames, List.of(), List.of());
  }

  /**
   * {@link #saveWeights(Path, Module, String, List)} for a model with a keypoint head: its keypoint
   * names and skeleton go into the metadata too ({@link ModelFile#KEYPOINTS_KEY}, {@link
   * ModelFile#SKELETON_KEY}), none when {@code keypointNames} is empty.
   */
  public static void saveWeights(
      Path file,
      Module model,
      String preset,
      List<String> classNames,
      List<String> keypointNames,
      List<List<Integer>> skeleton)
      throws IOException {
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", "pt");
    meta.put(ModelFile.PRESET_KEY, preset);
    meta.put(ModelFile.CLASSES_KEY, JSON.writeValueAsString(classNames));
    if (!keypointNames.isEmpty()) {
      meta.put(ModelFile.KEYPOINTS_KEY, ModelFile.namesJson(keypointNames));
      meta.put(ModelFile.SKELETON_KEY, ModelFile.skeletonJson(skeleton));
    }
    Safetensors.write(file, model.stateDict(), meta);
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
