package io.maskstream.detector;

import io.maskstream.detector.gate.GateVerdict;
import io.maskstream.detector.gate.ModelGate;
import io.maskstream.detector.model.Device;
import io.maskstream.detector.model.ModelLoadException;
import io.maskstream.detector.model.ModelSegmenter;
import io.maskstream.detector.model.OnnxMaskRcnn;
import io.maskstream.detector.store.ModelSignatures;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.Topics;
import io.maskstream.schemas.avro.GateResult;
import io.maskstream.schemas.avro.ModelAnnouncement;
import io.maskstream.schemas.cli.KafkaOptions;
import io.maskstream.schemas.cli.UserException;
import io.maskstream.schemas.models.ModelFile;
import io.maskstream.schemas.models.ModelRegistry;
import io.maskstream.schemas.models.ModelStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code maskstream publish}: checks a model (it must load and run), puts it in the model store and
 * announces it on the models topic; running detectors following its name swap to it.
 *
 * <p>With {@code --gate DATA_DIR}, the model and the version announced now are first measured on
 * the same held-out dataset ({@link ModelGate}); the model is published only when its box and mask
 * AP are each no more than {@code --gate-margin} below the announced version's ({@link
 * GateVerdict}), or with {@code --force}. The announcement records both models' figures.
 */
@Command(
    name = "publish",
    mixinStandardHelpOptions = true,
    description = {
      "Puts a model in the model store and announces it; running detectors swap to it.",
      "With --gate, only when it is not worse than the version announced now on held-out data."
    })
public final class PublishCommand implements Callable<Integer> {
  /** Detections below this score are left out of the gate's evaluation, as of infer --data's. */
  public static final float GATE_SCORE_THRESHOLD = DetectorConfig.EVALUATION_SCORE_THRESHOLD;

  private static final Logger log = LoggerFactory.getLogger(PublishCommand.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  /** The announcement's metric of box AP (COCO's name), as the trainer's validation measured it. */
  public static final String METRIC_BOX_AP = "bbox_AP";

  /**
   * The announcement's metric of mask AP (COCO's name), as the trainer's validation measured it.
   */
  public static final String METRIC_MASK_AP = "segm_AP";

  @Option(names = "--model", paramLabel = "FILE.onnx", required = true, description = "The model.")
  Path model;

  @Option(
      names = "--name",
      paramLabel = "NAME",
      description =
          "Model name detectors follow (default: the model's metadata, else the file name).")
  String name;

  @Option(
      names = "--location",
      paramLabel = "URL",
      description =
          "Announce a file:// or http(s):// location instead of uploading to the Kafka model"
              + " store.")
  String location;

  @Option(
      names = "--sign",
      paramLabel = "KEY",
      description =
          "Sign the announcement with this private key (from 'maskstream keys generate'; its"
              + " .pub must lie beside it), for detectors started with --trust.")
  Path sign;

  @Option(
      names = "--weights",
      paramLabel = "FILE",
      description =
          "The model's training weights, stored with it for 'train --init NAME' (default: the"
              + " .safetensors train wrote beside the model, when there).")
  Path weights;

  @Option(
      names = "--gate",
      paramLabel = "DATA_DIR",
      description =
          "A held-out COCO dataset: publish only if box and mask AP on it are not lower than the"
              + " announced version's by more than --gate-margin.")
  Path gate;

  @Option(
      names = "--gate-margin",
      paramLabel = "AP",
      defaultValue = "0.01",
      description = "How much lower box and mask AP may each be (default: ${DEFAULT-VALUE}).")
  double gateMargin;

  @Option(
      names = "--force",
      description =
          "With --gate: publish even when the gate refuses (logged, and recorded in the"
              + " announcement).")
  boolean force;

  @Mixin KafkaOptions kafka;

  @Spec CommandSpec spec;

  /**
   * Without {@code --sign}: an announcement of this same file whose signature the publication keeps
   * ({@code shadow promote} of a candidate signed when it was set).
   */
  ModelAnnouncement signedAs;

  private final ModelGate evaluator;

  /** The command without model evaluation: {@code --gate} is refused. */
  public PublishCommand() {
    this(null);
  }

  /** The command whose {@code --gate} measures models with {@code evaluator}. */
  public PublishCommand(ModelGate evaluator) {
    this.evaluator = evaluator;
  }

  /** Signs the announcement's name and sha256 with the key of {@code --sign}. */
  void signInto(ModelAnnouncement.Builder announcement) {
    String file = sign.getFileName().toString();
    Path publicFile = sign.resolveSibling(file.replaceFirst("\\.key$", "") + ".pub");
    PrivateKey key;
    PublicKey pub;
    try {
      key = ModelSignatures.readPrivate(sign);
      pub = ModelSignatures.readPublic(publicFile);
    } catch (NoSuchFileException e) {
      throw new UserException(
          "--sign " + sign + ": " + e.getFile() + " does not exist (keys generate writes both)");
    } catch (IOException e) {
      throw new UserException("--sign " + sign + ": " + e.getMessage(), e);
    }
    byte[] message = ModelSignatures.message(announcement.getName(), announcement.getSha256());
    byte[] signature = ModelSignatures.sign(key, message);
    if (!ModelSignatures.verify(pub, message, signature)) {
      throw new UserException(
          "--sign " + sign + ": " + publicFile + " is not the public key of this private key");
    }
    announcement.setSignature(ByteBuffer.wrap(signature)).setSigningKey(ModelSignatures.keyId(pub));
  }

  /**
   * The training weights to store beside the model, for {@code train --init NAME}: {@code
   * --weights}, else the file the model's metadata names ({@value ModelFile#WEIGHTS_KEY}) beside
   * the model, checked against the sha256 the metadata gives; null when there are none (a model not
   * made by {@code train}, or weights not found, which is logged).
   */
  byte[] trainingWeights(Map<String, String> metadata) {
    String named = metadata.get(ModelFile.WEIGHTS_KEY);
    String sha = metadata.get(ModelFile.WEIGHTS_SHA256_KEY);
    Path file = weights;
    if (file == null) {
      if (named == null) {
        return null;
      }
      file = model.toAbsolutePath().resolveSibling(Path.of(named).getFileName());
      if (!Files.isRegularFile(file)) {
        log.warn(
            "{} is not beside the model: published without its training weights, so 'train"
                + " --init' cannot continue from this version (give --weights FILE)",
            file.getFileName());
        return null;
      }
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UserException("--weights " + file + ": " + e.getMessage(), e);
    }
    if (sha != null && !ModelStore.sha256Hex(bytes).equalsIgnoreCase(sha)) {
      throw new UserException(
          file
              + " are not the weights the model was exported from (their sha256 differs from the"
              + " model's "
              + ModelFile.WEIGHTS_SHA256_KEY
              + "): give the right --weights");
    }
    return bytes;
  }

  /** The file name and the training facts of the model's metadata. */
  private Map<String, String> provenance(Map<String, String> metadata) {
    Map<String, String> out = new TreeMap<>();
    metadata.forEach(
        (k, v) -> {
          if (k.startsWith(ModelFile.TRAINING_PREFIX) || k.equals(ModelFile.PRESET_KEY)) {
            out.put(k, v);
          }
        });
    out.put("file", model.getFileName().toString());
    return out;
  }

  /** The validation AP the trainer measured, when the metadata holds it. */
  static Map<String, Double> validationMetrics(Map<String, String> metadata) {
    Map<String, Double> out = new TreeMap<>();
    for (Map.Entry<String, String> e :
        Map.of(
                ModelFile.BOX_AP_KEY, METRIC_BOX_AP,
                ModelFile.MASK_AP_KEY, METRIC_MASK_AP)
            .entrySet()) {
      String value = metadata.get(e.getKey());
      if (value != null) {
        try {
          out.put(e.getValue(), Double.parseDouble(value));
        } catch (NumberFormatException ignored) {
          // not a figure: left out
        }
      }
    }
    return out;
  }

  @Override
  public Integer call() throws IOException {
    if (force && gate == null) {
      throw new UserException("--force goes with --gate: without the gate nothing refuses");
    }
    if (!(gateMargin >= 0 && gateMargin <= 1)) {
      throw new UserException("--gate-margin must be between 0 and 1 (AP), got " + gateMargin);
    }
    if (gate != null && evaluator == null) {
      throw new UserException(
          "--gate needs the maskstream command's evaluator: run maskstream publish");
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(model);
    } catch (NoSuchFileException e) {
      throw new UserException("--model " + model + " does not exist: give a .onnx file");
    }
    Properties props = kafka.clientProperties();
    TopicNames topics = CommandSupport.topics(props);
    String defaultName = model.getFileName().toString().replaceFirst("\\.onnx$", "");
    // with the gate, the model is loaded once, as the gate measures it
    DetectorConfig.Builder checking = DetectorConfig.builder().model(model).device(Device.CPU);
    if (gate != null) {
      checking.scoreThreshold(GATE_SCORE_THRESHOLD);
    }
    DetectorConfig check = checking.build();
    ModelAnnouncement.Builder announcement = ModelAnnouncement.newBuilder();
    ModelRegistry registry = new ModelRegistry(props, topics.models());
    byte[] trainingWeights;
    try (ModelSegmenter segmenter =
        ModelSegmenter.start(OnnxMaskRcnn.load(bytes, defaultName, check), check.frameLimits())) {
      OnnxMaskRcnn m = segmenter.currentModel();
      announcement
          .setName(name != null ? name : m.identity().name())
          .setVersion(m.identity().version())
          .setSha256(m.sha256())
          .setSizeBytes(m.sizeBytes())
          .setContract(m.contract().toAvro())
          .setClasses(m.classes().names())
          .setProvenance(provenance(m.metadata()))
          .setMetrics(validationMetrics(m.metadata()));
      if (sign != null) {
        signInto(announcement);
      } else if (signedAs != null
          && signedAs.getSignature() != null
          && signedAs.getName().equals(announcement.getName())
          && signedAs.getSha256().equalsIgnoreCase(announcement.getSha256())) {
        announcement.setSignature(signedAs.getSignature()).setSigningKey(signedAs.getSigningKey());
      }
      trainingWeights = trainingWeights(m.metadata());
      ensureTopics(props, topics);
      if (gate != null) {
        GateResult result = gate(m, announcement, registry, check);
        if (result == null) {
          return 1;
        }
        announcement.setGate(result);
      }
    } catch (ModelLoadException e) {
      throw new UserException("refused: " + e.getMessage(), e);
    }
    String where = location;
    if (where != null && !where.matches("(?i)(file|https?)://.+")) {
      throw new UserException("--location " + where + ": use file://, http:// or https://");
    }
    ModelStore store = registry.store();
    if (where == null) {
      where = store.put(bytes);
    }
    if (trainingWeights != null) {
      announcement
          .setWeightsLocation(store.put(trainingWeights))
          .setWeightsSha256(ModelStore.sha256Hex(trainingWeights));
    }
    ModelAnnouncement a = announcement.setLocation(where).setPublishedTime(Instant.now()).build();
    try {
      registry.publish(a);
    } catch (IOException e) {
      throw new IOException("cannot announce the model: " + e.getMessage(), e);
    }
    log.info(
        "published {}@{} ({} bytes) at {}{}",
        a.getName(),
        a.getVersion(),
        a.getSizeBytes(),
        where,
        a.getSigningKey() == null ? ", unsigned" : ", signed by key " + a.getSigningKey());
    if (a.getWeightsLocation() != null) {
      log.info(
          "its training weights ({} bytes) at {}", trainingWeights.length, a.getWeightsLocation());
    }
    PrintWriter out = spec.commandLine().getOut();
    out.println(a.getName() + "@" + a.getVersion() + " " + where);
    out.flush();
    return 0;
  }

  /**
   * Measures the model and the version announced now on {@code --gate}'s dataset, prints the
   * comparison and judges.
   *
   * @return the result to announce, or null when the gate refuses (said on standard error)
   */
  private GateResult gate(
      OnnxMaskRcnn candidate,
      ModelAnnouncement.Builder announcement,
      ModelRegistry registry,
      DetectorConfig measuring) {
    String modelName = announcement.getName();
    String version = announcement.getVersion();
    ModelAnnouncement now = registry.announced(modelName).orElse(null);
    List<ModelGate.Entry> entries = new ArrayList<>();
    try (OnnxMaskRcnn serving = now == null ? null : serving(now, registry, measuring)) {
      if (serving != null) {
        if (!candidate.contract().sameInputsAndOutputs(serving.contract())) {
          throw new UserException(
              "refused: the model follows the "
                  + contractName(candidate)
                  + " contract (input and outputs), "
                  + modelName
                  + "@"
                  + now.getVersion()
                  + " announced now the "
                  + contractName(serving)
                  + " contract: publish it under another --name; nothing was published");
        }
        entries.add(
            new ModelGate.Entry("the announced " + modelName + "@" + now.getVersion(), serving));
      }
      entries.add(new ModelGate.Entry("the model " + modelName + "@" + version, candidate));
      ModelGate.Evaluation evaluation = evaluator.evaluate(gate, entries);
      GateResult result =
          GateVerdict.judge(
              gate.toAbsolutePath().normalize().toString(),
              evaluation.images(),
              now == null ? null : now.getVersion(),
              serving == null ? null : evaluation.figures().get(0),
              evaluation.figures().get(evaluation.figures().size() - 1),
              gateMargin);
      PrintWriter out = spec.commandLine().getOut();
      GateVerdict.table(result, modelName, version).forEach(out::println);
      if (!evaluation.leftOut().isEmpty()) {
        out.println(
            "  not evaluated (no model knows them): " + String.join(", ", evaluation.leftOut()));
      }
      if (!result.getPassed() && force) {
        result = GateResult.newBuilder(result).setForced(true).build();
        log.warn(
            "{}@{} did not pass the gate and is published because of --force: {}",
            modelName,
            version,
            GateVerdict.summary(result, modelName));
      }
      if (result.getPassed() || force) {
        out.println(GateVerdict.summary(result, modelName));
      }
      out.flush();
      if (!result.getPassed() && !force) {
        PrintWriter err = spec.commandLine().getErr();
        err.println(
            spec.qualifiedName()
                + ": "
                + GateVerdict.summary(result, modelName)
                + ": nothing published (--force publishes it anyway)");
        err.flush();
        return null;
      }
      return result;
    }
  }

  static void ensureTopics(Properties props, TopicNames topics) {
    try (Admin admin = Admin.create(props)) {
      Topics.ensure(admin, Topics.specs(topics, Topics.DEFAULT_PARTITIONS), TIMEOUT);
    } catch (KafkaException e) {
      throw new UserException("cannot reach Kafka: " + e.getMessage(), e);
    }
  }

  /** Fetches and loads the version announced now, checking it is the file announced. */
  private static OnnxMaskRcnn serving(
      ModelAnnouncement now, ModelRegistry registry, DetectorConfig measuring) {
    String what = now.getName() + "@" + now.getVersion() + " (announced now)";
    byte[] bytes;
    try {
      bytes = registry.store().fetch(now.getLocation());
    } catch (IOException e) {
      throw new UserException(
          "the gate cannot fetch "
              + what
              + " from "
              + now.getLocation()
              + ": "
              + e.getMessage()
              + "; publish without --gate, or roll back to a version the store has",
          e);
    }
    if (!ModelStore.sha256Hex(bytes).equalsIgnoreCase(now.getSha256())) {
      throw new UserException(
          "the gate fetched "
              + what
              + " from "
              + now.getLocation()
              + " but it is not the file announced (sha256 differs)");
    }
    return load(bytes, now.getName(), measuring, what);
  }

  private static OnnxMaskRcnn load(byte[] bytes, String name, DetectorConfig config, String what) {
    try {
      return OnnxMaskRcnn.load(bytes, name, config);
    } catch (ModelLoadException e) {
      throw new UserException("the gate cannot load " + what + ": " + e.getMessage(), e);
    }
  }

  private static String contractName(OnnxMaskRcnn m) {
    return m.contract().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }
}
