package io.maskstream.detector;

import io.maskstream.detector.zone.ZoneDefinitions;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.CameraIds;
import io.maskstream.schemas.CompactedTopic;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.Topics;
import io.maskstream.schemas.avro.ZoneSet;
import io.maskstream.schemas.cli.KafkaOptions;
import io.maskstream.schemas.cli.UserException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code maskstream zones}: a camera's zones and lines on the compacted zones topic, keyed by
 * camera id; detectors follow changes without a restart.
 */
@Command(
    name = "zones",
    mixinStandardHelpOptions = true,
    description = "A camera's zones and lines, which detectors count objects in and across.",
    subcommands = {ZonesCommand.Set.class, ZonesCommand.Show.class, ZonesCommand.Remove.class})
public final class ZonesCommand {
  /** How long Kafka may take to answer one request. */
  static final Duration TIMEOUT = CompactedTopic.TIMEOUT;

  /** {@code maskstream zones set}. */
  @Command(
      name = "set",
      mixinStandardHelpOptions = true,
      description =
          "Stores a camera's zones and lines from a YAML file, replacing the ones it had.")
  static final class Set implements Callable<Integer> {
    @Option(names = "--camera", paramLabel = "ID", required = true, description = "Camera id.")
    String camera;

    @Option(
        names = "--file",
        paramLabel = "FILE",
        required = true,
        description = "The zones and lines (YAML, see the README); - reads standard input.")
    String file;

    @Mixin KafkaOptions kafka;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws IOException {
      checkCamera(camera);
      String yaml = read(file);
      ZoneSet set;
      try {
        set = ZoneDefinitions.parseYaml(camera, yaml, Instant.now());
      } catch (IllegalArgumentException e) {
        throw new UserException(where(file) + ": " + e.getMessage(), e);
      }
      Properties props = kafka.clientProperties();
      TopicNames topics = CommandSupport.topics(props);
      store(props, topics, set);
      int zones = set.getZones().size();
      int lines = set.getLines().size();
      spec.commandLine()
          .getOut()
          .println(
              "camera "
                  + camera
                  + ": "
                  + count(zones, "zone")
                  + ", "
                  + count(lines, "line")
                  + " stored in "
                  + topics.zones());
      spec.commandLine().getOut().flush();
      return 0;
    }

    private static String count(int n, String what) {
      return n + " " + what + (n == 1 ? "" : "s");
    }

    private static String where(String file) {
      return "-".equals(file) ? "standard input" : file;
    }

    private static String read(String file) {
      try {
        if ("-".equals(file)) {
          InputStream in = System.in;
          return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        return Files.readString(Path.of(file));
      } catch (NoSuchFileException e) {
        throw new UserException("--file " + file + " does not exist: give a zones YAML file");
      } catch (IOException e) {
        throw new UserException("cannot read --file " + file + ": " + e.getMessage(), e);
      }
    }
  }

  /** {@code maskstream zones show}. */
  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description = "Prints the stored zones and lines as YAML: one camera's, or every camera's.")
  static final class Show implements Callable<Integer> {
    @Option(
        names = "--camera",
        paramLabel = "ID",
        description = "Camera id (default: every camera, each after a '# camera ID' line).")
    String camera;

    @Mixin KafkaOptions kafka;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      if (camera != null) {
        checkCamera(camera);
      }
      Properties props = kafka.clientProperties();
      TopicNames topics = CommandSupport.topics(props);
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      Map<String, ZoneSet> stored = readAll(props, topics.zones(), err);
      if (camera != null) {
        ZoneSet set = stored.get(camera);
        if (set == null) {
          err.println(
              spec.qualifiedName()
                  + ": camera "
                  + camera
                  + " has no zones or lines in "
                  + topics.zones()
                  + " (store them with 'maskstream zones set')");
          err.flush();
          return 1;
        }
        out.print(ZoneDefinitions.toYaml(set));
      } else {
        if (stored.isEmpty()) {
          err.println(spec.qualifiedName() + ": no camera has zones or lines in " + topics.zones());
        }
        boolean first = true;
        for (ZoneSet set : stored.values()) {
          out.print((first ? "" : "\n") + "# camera " + set.getCamera() + "\n");
          out.print(ZoneDefinitions.toYaml(set));
          first = false;
        }
      }
      out.flush();
      err.flush();
      return 0;
    }

    /**
     * The newest valid value per camera: the topic read from its beginning to its end offsets,
     * without a consumer group; records that do not decode or break the rules are reported on
     * {@code err} and skipped.
     */
    private static Map<String, ZoneSet> readAll(Properties props, String topic, PrintWriter err) {
      Map<String, Object> serdeConfig = new HashMap<>();
      props.forEach((k, v) -> serdeConfig.put(k.toString(), v));
      Map<String, ZoneSet> newest = new TreeMap<>();
      try (AvroSerde<ZoneSet> serde = new AvroSerde<>(ZoneSet.class, serdeConfig, false)) {
        CompactedTopic.readAll(props, topic, r -> take(r, serde, newest, err));
      }
      return newest;
    }

    private static void take(
        ConsumerRecord<String, byte[]> r,
        AvroSerde<ZoneSet> serde,
        Map<String, ZoneSet> newest,
        PrintWriter err) {
      String where =
          "skipped the record at "
              + r.topic()
              + "-"
              + r.partition()
              + " offset "
              + r.offset()
              + " (key "
              + CameraIds.quote(r.key())
              + "): ";
      if (r.key() == null) {
        err.println(where + "it has no key: the key is the camera id");
        return;
      }
      if (r.value() == null) {
        newest.remove(r.key());
        return;
      }
      ZoneSet set;
      try {
        set = serde.deserialize(r.topic(), r.value());
      } catch (RuntimeException e) {
        err.println(where + "not a ZoneSet: " + oneLine(e));
        return;
      }
      try {
        ZoneDefinitions.validate(set);
      } catch (IllegalArgumentException e) {
        err.println(where + e.getMessage());
        return;
      }
      if (!r.key().equals(set.getCamera())) {
        err.println(
            where
                + "its value is for camera "
                + CameraIds.quote(set.getCamera())
                + ", not the key");
        return;
      }
      newest.put(r.key(), set);
    }

    private static String oneLine(Throwable e) {
      String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      return message.replaceAll("\\s*\\R\\s*", " ");
    }
  }

  /** {@code maskstream zones remove}. */
  @Command(
      name = "remove",
      mixinStandardHelpOptions = true,
      description = "Removes a camera's zones and lines.")
  static final class Remove implements Callable<Integer> {
    @Option(names = "--camera", paramLabel = "ID", required = true, description = "Camera id.")
    String camera;

    @Mixin KafkaOptions kafka;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws IOException {
      checkCamera(camera);
      Properties props = kafka.clientProperties();
      TopicNames topics = CommandSupport.topics(props);
      ensureTopics(props, topics);
      CompactedTopic.write(props, topics.zones(), camera, null);
      spec.commandLine()
          .getOut()
          .println("camera " + camera + ": zones and lines removed from " + topics.zones());
      spec.commandLine().getOut().flush();
      return 0;
    }
  }

  /**
   * Stores a camera's checked definitions on the zones topic (creating the topics when missing),
   * keyed by its camera id, and waits until every replica has them.
   *
   * @throws UserException when Kafka cannot be reached
   * @throws IOException when the write is not confirmed
   */
  public static void store(Properties props, TopicNames topics, ZoneSet set) throws IOException {
    ensureTopics(props, topics);
    Map<String, Object> serdeConfig = new HashMap<>();
    props.forEach((k, v) -> serdeConfig.put(k.toString(), v));
    byte[] value;
    try (AvroSerde<ZoneSet> serde = new AvroSerde<>(ZoneSet.class, serdeConfig, false)) {
      value = serde.serialize(topics.zones(), set);
    }
    CompactedTopic.write(props, topics.zones(), set.getCamera(), value);
  }

  private static void checkCamera(String camera) {
    if (!CameraIds.isValid(camera)) {
      throw new UserException("--camera " + CameraIds.quote(camera) + ": use " + CameraIds.RULE);
    }
  }

  private static void ensureTopics(Properties props, TopicNames topics) {
    try (Admin admin = Admin.create(props)) {
      Topics.ensure(admin, Topics.specs(topics, Topics.DEFAULT_PARTITIONS), TIMEOUT);
    } catch (KafkaException e) {
      throw new UserException("cannot reach Kafka: " + e.getMessage(), e);
    }
  }
}
