package io.maskstream.trainer;

import ai.onnx.proto.OnnxMl;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.avro.ModelAnnouncement;
import io.maskstream.schemas.cli.UserException;
import io.maskstream.schemas.models.ModelFile;
import io.maskstream.schemas.models.ModelRegistry;
import io.maskstream.schemas.models.ModelStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.function.Supplier;

/**
 * Where {@code train --init} takes its weights from: a checkpoint folder or a safetensors file as
 * given, the training weights written beside a model by {@code train} ({@code model.onnx} gives
 * {@code model.safetensors}, checked against the sha256 in the model's metadata), or a published
 * model's weights in the model store ({@code NAME} for the version announced now, which detectors
 * serve; {@code NAME@VERSION} for another).
 *
 * <p>An exported ONNX model cannot be turned back into trainable weights: the export folds each
 * batch normalisation into the convolution before it, and the tiny preset's learned scales, shifts
 * and running statistics cannot be separated again from the folded weights. Hence {@code train}
 * writes the weights beside the model, and {@code publish} stores them next to it.
 */
final class InitWeights {
  /** Model names as the models topic keys them, with an optional version. */
  private static final String REFERENCE = "[A-Za-z0-9._-]{1,200}(@[0-9a-fA-F]{1,64})?";

  /**
   * Resolved initial weights.
   *
   * @param file the safetensors file or checkpoint folder to load
   * @param description what they are, for the log and the model's provenance
   */
  record Resolved(Path file, String description) {}

  private InitWeights() {}

  /** The training weights' file beside {@code model}: its name with {@code .safetensors}. */
  static Path besideModel(Path model) {
    String name = model.getFileName().toString();
    return model.resolveSibling(name.replaceFirst("(?i)\\.onnx$", "") + ".safetensors");
  }

  /**
   * Resolves {@code --init}.
   *
   * @param scratch a folder for weights fetched from the model store
   * @param kafka the client settings, asked for only for a model store reference
   * @throws UserException when the weights cannot be found or do not match
   */
  static Resolved resolve(String spec, Path scratch, Supplier<Properties> kafka) {
    Path path = Path.of(spec);
    if (Files.exists(path)) {
      if (spec.toLowerCase(Locale.ROOT).endsWith(".onnx")) {
        return besideExport(path);
      }
      return new Resolved(path, path.toString());
    }
    if (!spec.matches(REFERENCE) || spec.matches("(?i).*\\.(onnx|safetensors)")) {
      throw new UserException(
          "--init "
              + spec
              + " does not exist: give a checkpoint folder, a .safetensors file, a model.onnx"
              + " written by train, or a published model NAME[@VERSION]");
    }
    return fromStore(spec, scratch, kafka.get());
  }

  private static Resolved besideExport(Path onnx) {
    Map<String, String> metadata = new HashMap<>();
    try {
      for (OnnxMl.StringStringEntryProto e :
          OnnxMl.ModelProto.parseFrom(Files.readAllBytes(onnx)).getMetadataPropsList()) {
        metadata.put(e.getKey(), e.getValue());
      }
    } catch (IOException e) {
      throw new UserException("--init " + onnx + " is not an ONNX model: " + e.getMessage(), e);
    }
    String sha = metadata.get(ModelFile.WEIGHTS_SHA256_KEY);
    Path weights = besideModel(onnx);
    if (sha == null) {
      throw new UserException(
          "--init "
              + onnx
              + " is an ONNX export, which cannot be trained on (batch normalisation is folded"
              + " into its convolutions), and names no training weights: give the checkpoint"
              + " it was exported from");
    }
    if (!Files.isRegularFile(weights)) {
      throw new UserException(
          "--init "
              + onnx
              + ": its training weights "
              + weights.getFileName()
              + " are not beside it (train writes them there): copy them there, or give the"
              + " checkpoint");
    }
    String actual;
    try {
      actual = ModelStore.sha256Hex(Files.readAllBytes(weights));
    } catch (IOException e) {
      throw new UserException("cannot read " + weights + ": " + e.getMessage(), e);
    }
    if (!actual.equalsIgnoreCase(sha)) {
      throw new UserException(
          "--init "
              + onnx
              + ": "
              + weights
              + " are not the weights it was exported from (sha256 "
              + actual
              + ", the model names "
              + sha
              + ")");
    }
    return new Resolved(weights, weights + " (the training weights of " + onnx + ")");
  }

  private static Resolved fromStore(String spec, Path scratch, Properties kafka) {
    String name = spec.contains("@") ? spec.substring(0, spec.indexOf('@')) : spec;
    String version = spec.contains("@") ? spec.substring(spec.indexOf('@') + 1) : null;
    TopicNames topics;
    try {
      topics = TopicNames.from(kafka);
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage());
    }
    ModelRegistry registry = new ModelRegistry(kafka, topics.models());
    ModelAnnouncement a;
    if (version == null) {
      a =
          registry
              .announced(name)
              .orElseThrow(
                  () ->
                      new UserException(
                          "--init "
                              + spec
                              + ": no model "
                              + name
                              + " is announced on "
                              + topics.models()
                              + " and no such file exists"));
    } else {
      List<ModelAnnouncement> matches = ModelRegistry.matching(registry.versions(name), version);
      if (matches.size() != 1) {
        throw new UserException(
            "--init "
                + spec
                + ": "
                + (matches.isEmpty()
                    ? name + " has no version " + version
                    : version + " is more than one version of " + name + ": give more digits")
                + " in "
                + ModelRegistry.versionsTopic(topics.models()));
      }
      a = matches.get(0);
    }
    String what = name + "@" + a.getVersion();
    if (a.getWeightsLocation() == null) {
      throw new UserException(
          "--init "
              + spec
              + ": "
              + what
              + " was published without its training weights (an ONNX model cannot be trained"
              + " on): publish it again from beside the .safetensors train wrote, or give a"
              + " checkpoint");
    }
    byte[] bytes;
    try {
      bytes = registry.store().fetch(a.getWeightsLocation());
    } catch (IOException e) {
      throw new UserException(
          "--init " + spec + ": cannot fetch the weights of " + what + ": " + e.getMessage(), e);
    }
    if (a.getWeightsSha256() != null
        && !ModelStore.sha256Hex(bytes).equalsIgnoreCase(a.getWeightsSha256())) {
      throw new UserException(
          "--init "
              + spec
              + ": the weights fetched for "
              + what
              + " are not those published (sha256 differs)");
    }
    Path file = scratch.resolve("init-" + name + "@" + a.getVersion() + ".safetensors");
    try {
      Files.createDirectories(scratch);
      Files.write(file, bytes);
    } catch (IOException e) {
      throw new UserException("cannot write " + file + ": " + e.getMessage(), e);
    }
    return new Resolved(
        file, what + (version == null ? " (announced now)" : "") + " from the model store");
  }
}
