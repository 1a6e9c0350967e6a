package io.maskstream.ingest;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.maskstream.ingest.IngestConfig.Camera;
import io.maskstream.schemas.cli.UserException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds an {@link IngestConfig} from {@code --camera ID=URL} flags and a {@code cameras.yaml}.
 *
 * <p>Precedence, highest first: a camera's own entry in the file, the command line, the file's
 * top-level values, {@link IngestConfig.Defaults}. Every problem is reported as a {@link
 * UserException} whose message names the file, line or flag and says what to change.
 *
 * <pre>{@code
 * fps: 10                 # defaults for the cameras below
 * maxWidth: 1280
 * jpegQuality: 85
 * cameras:
 *   - id: gate
 *     url: rtsp://10.0.0.7/stream1
 *     fps: 5
 *     options: {rtsp_transport: udp}
 *   - id: lobby
 *     url: /dev/video0
 *     options: {video_size: 1280x720, framerate: "30"}
 *   - id: replay
 *     url: /data/parking.mp4
 *     loop: true
 * }</pre>
 */
public final class IngestConfigLoader {

  /**
   * Values given on the command line; {@code null} means not given.
   *
   * @param fps frames per second per camera
   * @param maxWidth downscale width, 0 to keep
   * @param jpegQuality JPEG quality 1-100
   * @param loop restart files at their end
   * @param realtime pace files at their frame rate
   * @param readTimeout read timeout of network sources
   * @param ffmpegOptions FFmpeg options for every camera
   */
  public record Overrides(
      Double fps,
      Integer maxWidth,
      Integer jpegQuality,
      Boolean loop,
      Boolean realtime,
      Duration readTimeout,
      Map<String, String> ffmpegOptions) {
    /** No value given. */
    public static final Overrides NONE =
        new Overrides(null, null, null, null, null, null, Map.of());
  }

  /** The file's structure; unknown keys are errors. */
  record FileModel(
      Double fps,
      Integer maxWidth,
      Integer jpegQuality,
      Boolean loop,
      Boolean realtime,
      Double readTimeoutSeconds,
      Map<String, String> options,
      List<CameraModel> cameras) {}

  /** One camera entry of the file. */
  record CameraModel(
      String id,
      String url,
      Double fps,
      Integer maxWidth,
      Integer jpegQuality,
      Boolean loop,
      Boolean realtime,
      Double readTimeoutSeconds,
      Map<String, String> options) {}

  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  private IngestConfigLoader() {}

  /**
   * The cameras of {@code cliCameras} ({@code id -> url}, in order) followed by those of {@code
   * file} (may be {@code null}).
   *
   * @throws UserException for a missing or malformed file, a duplicate id, no camera at all or an
   *     out-of-range value
   */
  public static List<Camera> cameras(
      Map<String, String> cliCameras, Path file, Overrides overrides) {
    FileModel model = file == null ? null : read(file);
    List<Camera> cameras = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    String fileName = file == null ? "" : file.toString();
    for (var entry : cliCameras.entrySet()) {
      CameraModel fromFlag =
          new CameraModel(
              entry.getKey(), entry.getValue(), null, null, null, null, null, null, null);
      cameras.add(build(fromFlag, null, overrides, "--camera " + entry.getKey(), ids));
    }
    if (model != null && model.cameras() != null) {
      int index = 0;
      for (CameraModel camera : model.cameras()) {
        index++;
        if (camera == null) {
          throw new UserException(fileName + ": camera entry " + index + " is empty");
        }
        String where =
            fileName + ": camera " + (camera.id() == null ? "#" + index : "'" + camera.id() + "'");
        cameras.add(build(camera, model, overrides, where, ids));
      }
    }
    if (cameras.isEmpty()) {
      throw new UserException(
          "no camera: give --camera ID=URL (repeatable) or --config cameras.yaml with a"
              + " 'cameras:' list");
    }
    return cameras;
  }

  private static Camera build(
      CameraModel camera, FileModel file, Overrides cli, String where, Set<String> ids) {
    if (camera.id() == null || camera.id().isBlank()) {
      throw new UserException(where + ": 'id' is missing");
    }
    if (camera.url() == null || camera.url().isBlank()) {
      throw new UserException(where + ": 'url' is missing");
    }
    if (!ids.add(camera.id())) {
      throw new UserException(where + ": camera id '" + camera.id() + "' is used twice");
    }
    FileModel top =
        file != null ? file : new FileModel(null, null, null, null, null, null, null, null);
    Map<String, String> options = new LinkedHashMap<>();
    if (top.options() != null) {
      options.putAll(top.options());
    }
    options.putAll(cli.ffmpegOptions());
    if (camera.options() != null) {
      options.putAll(camera.options());
    }
    Duration readTimeout =
        camera.readTimeoutSeconds() != null
            ? seconds(camera.readTimeoutSeconds(), where)
            : cli.readTimeout() != null
                ? cli.readTimeout()
                : top.readTimeoutSeconds() != null
                    ? seconds(top.readTimeoutSeconds(), where)
                    : IngestConfig.Defaults.READ_TIMEOUT;
    try {
      return new Camera(
          camera.id(),
          camera.url().trim(),
          first(camera.fps(), cli.fps(), top.fps(), IngestConfig.Defaults.FPS),
          first(camera.maxWidth(), cli.maxWidth(), top.maxWidth(), IngestConfig.Defaults.MAX_WIDTH),
          first(
              camera.jpegQuality(),
              cli.jpegQuality(),
              top.jpegQuality(),
              IngestConfig.Defaults.JPEG_QUALITY),
          first(camera.loop(), cli.loop(), top.loop(), false),
          first(camera.realtime(), cli.realtime(), top.realtime(), true),
          readTimeout,
          options);
    } catch (IllegalArgumentException e) {
      throw new UserException(where + ": " + e.getMessage(), e);
    }
  }

  private static Duration seconds(double seconds, String where) {
    if (!(seconds > 0)) {
      throw new UserException(where + ": readTimeoutSeconds must be positive, got " + seconds);
    }
    return Duration.ofMillis(Math.round(seconds * 1000));
  }

  @SafeVarargs
  private static <T> T first(T... values) {
    for (T value : values) {
      if (value != null) {
        return value;
      }
    }
    throw new IllegalStateException("no default");
  }

  private static FileModel read(Path file) {
    try {
      String text = Files.readString(file);
      FileModel model = YAML.readValue(text, FileModel.class);
      if (model == null) {
        throw new UserException(file + " is empty: add a 'cameras:' list");
      }
      return model;
    } catch (NoSuchFileException e) {
      throw new UserException("--config " + file + " does not exist");
    } catch (UnrecognizedPropertyException e) {
      throw new UserException(
          file
              + ": "
              + path(e)
              + ": unknown key '"
              + e.getPropertyName()
              + "' (known: "
              + String.join(", ", e.getKnownPropertyIds().stream().map(Object::toString).toList())
              + ")",
          e);
    } catch (JsonProcessingException e) {
      throw new UserException(
          file + line(e.getLocation()) + ": not a valid cameras file: " + e.getOriginalMessage(),
          e);
    } catch (IOException e) {
      throw new UserException("cannot read --config " + file + ": " + e.getMessage(), e);
    }
  }

  private static String path(JsonProcessingException e) {
    if (!(e instanceof com.fasterxml.jackson.databind.JsonMappingException mapping)) {
      return "";
    }
    StringBuilder path = new StringBuilder();
    for (var reference : mapping.getPath()) {
      if (reference.getFieldName() != null) {
        path.append(path.length() == 0 ? "" : ".").append(reference.getFieldName());
      } else if (reference.getIndex() >= 0) {
        path.append('[').append(reference.getIndex()).append(']');
      }
    }
    int last = path.lastIndexOf(".");
    // the path ends with the unknown key itself
    return last < 0 ? "top level" : path.substring(0, last);
  }

  private static String line(JsonLocation location) {
    return location == null || location.getLineNr() < 1 ? "" : ":" + location.getLineNr();
  }
}
