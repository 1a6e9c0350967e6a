package io.maskstream.detector;

import io.maskstream.detector.model.Device;
import io.maskstream.detector.model.ModelLoadException;
import io.maskstream.detector.model.ModelSegmenter;
import io.maskstream.detector.model.OnnxMaskRcnn;
import io.maskstream.detector.store.ModelSignatures;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.Topics;
import io.maskstream.schemas.avro.ModelAnnouncement;
import io.maskstream.schemas.cli.KafkaOptions;
import io.maskstream.schemas.cli.UserException;
import io.maskstream.schemas.models.ModelRegistry;
import io.maskstream.schemas.models.ModelStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
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
import picocli.CommandLine.Option;

/**
 * {@code maskstream publish}: checks a model (it must load and run), puts it in the model store and
 * announces it on the models topic; running detectors following its name swap to it.
 */
@Command(
    name = "publish",
    mixinStandardHelpOptions = true,
    description = "Puts a model in the model store and announces it; running detectors swap to it.")
public final class PublishCommand implements Callable<Integer> {
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

  @Mixin KafkaOptions kafka;

  /** Signs the announcement's name and sha256 with the key of {@code --sign}. */
  private void signInto(ModelAnnouncement.Builder announcement) {
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

  /** The file name and the training facts of the model's metadata. */
  private Map<String, String> provenance(Map<String, String> metadata) {
    Map<String, String> out = new TreeMap<>();
    metadata.forEach(
        (k, v) -> {
          if (k.startsWith("maskstream.training.") || k.equals("maskstream.preset")) {
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
                "maskstream.metrics.box_ap", METRIC_BOX_AP,
                "maskstream.metrics.mask_ap", METRIC_MASK_AP)
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
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(model);
    } catch (NoSuchFileException e) {
      throw new UserException("--model " + model + " does not exist: give a .onnx file");
    }
    Properties props = kafka.clientProperties();
    TopicNames topics = CommandSupport.topics(props);
    String defaultName = model.getFileName().toString().replaceFirst("\\.onnx$", "");
    DetectorConfig check = DetectorConfig.builder().model(model).device(Device.CPU).build();
    ModelAnnouncement.Builder announcement = ModelAnnouncement.newBuilder();
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
    } catch (ModelLoadException e) {
      throw new UserException("refused: " + e.getMessage(), e);
    }
    if (sign != null) {
      signInto(announcement);
    }
    try (Admin admin = Admin.create(props)) {
      Topics.ensure(admin, Topics.specs(topics, Topics.DEFAULT_PARTITIONS), TIMEOUT);
    } catch (KafkaException e) {
      throw new UserException("cannot reach Kafka: " + e.getMessage(), e);
    }
    String where = location;
    if (where == null) {
      where = new ModelStore(props, ModelStore.topicFor(topics.models())).put(bytes);
    } else if (!where.matches("(?i)(file|https?)://.+")) {
      throw new UserException("--location " + where + ": use file://, http:// or https://");
    }
    ModelAnnouncement a = announcement.setLocation(where).setPublishedTime(Instant.now()).build();
    try {
      new ModelRegistry(props, topics.models()).publish(a);
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
    System.out.println(a.getName() + "@" + a.getVersion() + " " + where);
    return 0;
  }
}
