package io.maskstream.ingest.cameras;

import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.CameraHealth;
import io.maskstream.schemas.CameraIds;
import io.maskstream.schemas.CameraUrls;
import io.maskstream.schemas.CompactedTopic;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.avro.Camera;
import io.maskstream.schemas.avro.CameraRunState;
import io.maskstream.schemas.avro.CameraStatus;
import io.maskstream.schemas.cli.KafkaOptions;
import io.maskstream.schemas.cli.UserException;
import io.maskstream.schemas.internal.TrustedClasses;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code maskstream camera}: camera definitions on the compacted cameras topic, keyed by camera id;
 * ingest processes started without {@code --camera} follow changes without a restart.
 */
@Command(
    name = "camera",
    mixinStandardHelpOptions = true,
    description =
        "Cameras defined on the cameras topic, which ingest processes run without a restart.",
    subcommands = {
      CameraCommand.Add.class,
      CameraCommand.Update.class,
      CameraCommand.Remove.class,
      CameraCommand.List.class,
      CameraCommand.Show.class
    },
    footer = {
      "",
      "Examples:",
      "  maskstream camera add --camera gate --url 'rtsp://viewer:${env:GATE_PASSWORD}@10.0.0.7/s1'"
          + " --fps 5",
      "  maskstream camera update --camera gate --fps 2",
      "  maskstream camera list",
      "  maskstream camera remove --camera gate"
    })
public final class CameraCommand {
  /** Settings of {@code add} and {@code update}; {@code null} means not given. */
  static final class Settings {
    @Option(
        names = "--url",
        paramLabel = "URL",
        description =
            "rtsp://, http://, udp://, tcp://, /dev/videoN, a video file or an image folder (as"
                + " the ingest host sees it); ${env:NAME} is read from ingest's environment.")
    String url;

    @Option(names = "--fps", paramLabel = "N", description = "Frames per second (default: 10).")
    Double fps;

    @Option(
        names = "--max-width",
        paramLabel = "PX",
        description = "Downscale wider frames to this width (default: 0, keep the size).")
    Integer maxWidth;

    @Option(
        names = "--jpeg-quality",
        paramLabel = "Q",
        description = "JPEG quality 1-100 (default: 85).")
    Integer jpegQuality;

    @Option(
        names = "--loop",
        negatable = true,
        description = "Restart a video file or image folder at its end (default: no).")
    Boolean loop;

    @Option(
        names = "--realtime",
        negatable = true,
        description = "Play files at their own frame rate like a camera (default: yes).")
    Boolean realtime;

    @Option(
        names = "--read-timeout",
        paramLabel = "SECONDS",
        description = "How long a network read may block (default: 5).")
    Double readTimeoutSeconds;

    @Option(
        names = "--ffmpeg-option",
        paramLabel = "KEY=VALUE",
        description = "An FFmpeg input option (repeatable); with update, KEY= removes one.")
    Map<String, String> options = new LinkedHashMap<>();

    @Option(
        names = "--label",
        paramLabel = "KEY=VALUE",
        description =
            "A free label such as site=north (repeatable); with update, KEY= removes one.")
    Map<String, String> labels = new LinkedHashMap<>();

    @Option(
        names = "--enabled",
        arity = "1",
        paramLabel = "true|false",
        description = "Whether ingest runs the camera (default: true).")
    Boolean enabled;

    /** {@code base} (may be null: the defaults) with the given settings applied, checked. */
    Camera apply(String id, Camera base) {
      // builders fill defaults through Avro, which must trust the generated classes first
      TrustedClasses.install();
      Camera.Builder b = base == null ? Camera.newBuilder().setId(id) : Camera.newBuilder(base);
      if (url != null) {
        b.setUrl(url.strip());
      }
      if (fps != null) {
        b.setFps(fps);
      }
      if (maxWidth != null) {
        b.setMaxWidth(maxWidth);
      }
      if (jpegQuality != null) {
        b.setJpegQuality(jpegQuality);
      }
      if (loop != null) {
        b.setLoop(loop);
      }
      if (realtime != null) {
        b.setRealtime(realtime);
      }
      if (readTimeoutSeconds != null) {
        b.setReadTimeoutSeconds(readTimeoutSeconds);
      }
      if (enabled != null) {
        b.setEnabled(enabled);
      }
      b.setOptions(merge(b.hasOptions() ? b.getOptions() : Map.of(), options));
      b.setLabels(merge(b.hasLabels() ? b.getLabels() : Map.of(), labels));
      b.setUpdatedAt(Instant.now());
      Camera camera = b.build();
      try {
        CameraDefinitions.toIngest(camera);
      } catch (IllegalArgumentException e) {
        throw new UserException(CameraUrls.mask(e.getMessage()), e);
      }
      return camera;
    }

    private static Map<String, String> merge(Map<String, String> base, Map<String, String> given) {
      Map<String, String> merged = new TreeMap<>(base);
      given.forEach(
          (k, v) -> {
            if (v == null || v.isEmpty()) {
              merged.remove(k);
            } else {
              merged.put(k, v);
            }
          });
      return new LinkedHashMap<>(merged);
    }
  }

  /** What every subcommand needs: the Kafka options, the topic and one-line errors. */
  abstract static class Base {
    @Mixin KafkaOptions kafka;

    @Spec CommandSpec spec;

    Properties props() {
      return kafka.clientProperties();
    }

    TopicNames topics(Properties props) {
      try {
        return TopicNames.from(props);
      } catch (IllegalArgumentException e) {
        throw new UserException("--kafka-config: " + e.getMessage(), e);
      }
    }

    Map<String, Camera> readAll(Properties props, TopicNames topics) {
      PrintWriter err = spec.commandLine().getErr();
      try {
        Map<String, Camera> all =
            CameraTopic.readAll(props, topics.cameras(), m -> err.println(CameraUrls.mask(m)));
        err.flush();
        return all;
      } catch (KafkaException e) {
        throw new UserException("cannot read " + topics.cameras() + ": " + e.getMessage(), e);
      }
    }

    /** The newest status report per camera; none when the status topic cannot be read. */
    Map<String, CameraStatus> statuses(Properties props, TopicNames topics) {
      Map<String, CameraStatus> newest = new HashMap<>();
      Map<String, Object> config = new HashMap<>();
      props.forEach((k, v) -> config.put(k.toString(), v));
      try (AvroSerde<CameraStatus> serde = new AvroSerde<>(CameraStatus.class, config, false)) {
        CompactedTopic.readAll(
            props,
            topics.cameraStatus(),
            r -> {
              if (r.key() == null) {
                return;
              }
              if (r.value() == null) {
                newest.remove(r.key());
                return;
              }
              try {
                newest.put(r.key(), serde.deserialize(r.topic(), r.value()));
              } catch (RuntimeException e) {
                // not a report: the camera shows as unreported
              }
            });
      } catch (KafkaException e) {
        spec.commandLine()
            .getErr()
            .println(
                "cannot read "
                    + topics.cameraStatus()
                    + " ("
                    + e.getMessage()
                    + "): cameras are listed without their state");
        spec.commandLine().getErr().flush();
      }
      return newest;
    }

    void ensure(Properties props, TopicNames topics) {
      try {
        CameraTopic.ensure(props, topics);
      } catch (KafkaException e) {
        throw new UserException("cannot reach Kafka: " + e.getMessage(), e);
      }
    }

    void println(String line) {
      spec.commandLine().getOut().println(line);
      spec.commandLine().getOut().flush();
    }
  }

  static void checkId(String camera) {
    if (!CameraIds.isValid(camera)) {
      throw new UserException("--camera " + CameraIds.quote(camera) + ": use " + CameraIds.RULE);
    }
  }

  /** {@code maskstream camera add}. */
  @Command(
      name = "add",
      mixinStandardHelpOptions = true,
      description = "Defines a new camera; ingest starts it within seconds.")
  static final class Add extends Base implements Callable<Integer> {
    @Option(names = "--camera", paramLabel = "ID", required = true, description = "Camera id.")
    String camera;

    @Mixin Settings settings;

    @Override
    public Integer call() throws IOException {
      checkId(camera);
      if (settings.url == null) {
        throw new UserException("--url is missing: give the camera's stream URL, device or path");
      }
      Camera definition = settings.apply(camera, null);
      Properties props = props();
      TopicNames topics = topics(props);
      ensure(props, topics);
      if (readAll(props, topics).containsKey(camera)) {
        throw new UserException(
            "camera " + camera + " exists already: change it with 'maskstream camera update'");
      }
      CameraTopic.write(props, topics.cameras(), camera, definition);
      println("camera " + camera + " added to " + topics.cameras() + ": " + summary(definition));
      return 0;
    }
  }

  /** {@code maskstream camera update}. */
  @Command(
      name = "update",
      mixinStandardHelpOptions = true,
      description = "Changes the given settings of a camera; ingest restarts only that camera.")
  static final class Update extends Base implements Callable<Integer> {
    @Option(names = "--camera", paramLabel = "ID", required = true, description = "Camera id.")
    String camera;

    @Mixin Settings settings;

    @Override
    public Integer call() throws IOException {
      checkId(camera);
      Properties props = props();
      TopicNames topics = topics(props);
      Camera stored = readAll(props, topics).get(camera);
      if (stored == null) {
        throw new UserException(
            "camera "
                + camera
                + " is not defined in "
                + topics.cameras()
                + ": add it with 'maskstream camera add'");
      }
      Camera definition = settings.apply(camera, stored);
      CameraTopic.write(props, topics.cameras(), camera, definition);
      println("camera " + camera + " updated: " + summary(definition));
      return 0;
    }
  }

  /** {@code maskstream camera remove}. */
  @Command(
      name = "remove",
      mixinStandardHelpOptions = true,
      description = "Removes a camera; ingest stops it within seconds.")
  static final class Remove extends Base implements Callable<Integer> {
    @Option(names = "--camera", paramLabel = "ID", required = true, description = "Camera id.")
    String camera;

    @Override
    public Integer call() throws IOException {
      checkId(camera);
      Properties props = props();
      TopicNames topics = topics(props);
      if (!readAll(props, topics).containsKey(camera)) {
        throw new UserException(
            "camera " + camera + " is not defined in " + topics.cameras() + ": nothing to remove");
      }
      CameraTopic.write(props, topics.cameras(), camera, null);
      println("camera " + camera + " removed from " + topics.cameras());
      return 0;
    }
  }

  /** {@code maskstream camera list}. */
  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description =
          "One line per defined camera: id, enabled, fps, URL (password masked) and its state as"
              + " the ingest process running it reports it.")
  static final class List extends Base implements Callable<Integer> {
    @Override
    public Integer call() {
      Properties props = props();
      TopicNames topics = topics(props);
      Map<String, Camera> all = readAll(props, topics);
      Map<String, CameraStatus> statuses = statuses(props, topics);
      Instant now = Instant.now();
      if (all.isEmpty()) {
        spec.commandLine()
            .getErr()
            .println(
                spec.qualifiedName()
                    + ": no camera in "
                    + topics.cameras()
                    + " (add one with 'maskstream camera add')");
        spec.commandLine().getErr().flush();
      }
      for (Camera c : all.values()) {
        println(
            String.format(
                Locale.ROOT,
                "%-20s %-8s %6s fps  %-40s  %s",
                c.getId(),
                c.getEnabled() ? "enabled" : "disabled",
                number(c.getFps()),
                CameraUrls.mask(c.getUrl()),
                state(CameraHealth.of(c.getId(), c.getEnabled(), statuses.get(c.getId()), now))));
      }
      return 0;
    }
  }

  /** {@code maskstream camera show}. */
  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description = "Prints one camera's definition (password masked).")
  static final class Show extends Base implements Callable<Integer> {
    @Option(names = "--camera", paramLabel = "ID", required = true, description = "Camera id.")
    String camera;

    @Override
    public Integer call() {
      checkId(camera);
      Properties props = props();
      TopicNames topics = topics(props);
      Camera c = readAll(props, topics).get(camera);
      if (c == null) {
        throw new UserException("camera " + camera + " is not defined in " + topics.cameras());
      }
      println("id: " + c.getId());
      println("url: " + CameraUrls.mask(c.getUrl()));
      println("enabled: " + c.getEnabled());
      println("fps: " + number(c.getFps()));
      println("maxWidth: " + c.getMaxWidth());
      println("jpegQuality: " + c.getJpegQuality());
      println("loop: " + c.getLoop());
      println("realtime: " + c.getRealtime());
      println("readTimeoutSeconds: " + number(c.getReadTimeoutSeconds()));
      println("options: " + new TreeMap<>(c.getOptions()));
      println("labels: " + new TreeMap<>(c.getLabels()));
      println("updatedAt: " + c.getUpdatedAt());
      CameraStatus status = statuses(props, topics).get(camera);
      println("state: " + state(CameraHealth.of(camera, c.getEnabled(), status, Instant.now())));
      return 0;
    }
  }

  /**
   * The camera's state for people: e.g. {@code up: 4.9 fps, last frame 0.2 s ago, 1 reconnect, on
   * host-a pid 4242}.
   */
  static String state(CameraHealth health) {
    StringBuilder line = new StringBuilder(health.summary());
    CameraStatus status = health.status();
    if (status == null || health.condition() == CameraHealth.Condition.STALE) {
      return line.toString();
    }
    if (status.getLastFrameTime() != null) {
      double ago =
          Math.max(0, Duration.between(status.getLastFrameTime(), Instant.now()).toMillis()) / 1e3;
      line.append(String.format(Locale.ROOT, ", last frame %.1f s ago", ago));
    }
    if (status.getReconnects() > 0) {
      line.append(", ")
          .append(status.getReconnects())
          .append(status.getReconnects() == 1 ? " reconnect" : " reconnects");
    }
    if (status.getState() != CameraRunState.STOPPED) {
      line.append(", on ").append(status.getOwner());
    }
    return line.toString();
  }

  static String summary(Camera c) {
    return CameraUrls.mask(c.getUrl())
        + " at "
        + number(c.getFps())
        + " fps"
        + (c.getEnabled() ? "" : ", disabled");
  }

  private static String number(double value) {
    return value == Math.rint(value) && Math.abs(value) < 1e9
        ? Long.toString((long) value)
        : Double.toString(value);
  }
}
