package io.maskstream.ingest.cameras;

import io.maskstream.ingest.IngestConfig;
import io.maskstream.schemas.CameraIds;
import io.maskstream.schemas.CameraUrls;
import io.maskstream.schemas.avro.Camera;
import io.maskstream.schemas.internal.TrustedClasses;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;

/**
 * Camera definitions of the cameras topic ({@link Camera}) and the cameras ingest runs ({@link
 * IngestConfig.Camera}): one set of rules for both, so a definition means the same on the topic and
 * in a {@code cameras.yaml}.
 */
public final class CameraDefinitions {
  private CameraDefinitions() {}

  /**
   * The camera ingest runs for {@code definition}, checked: the id rule of {@link CameraIds}, a
   * parsable URL ({@link CameraUrls#check}) and the ranges of {@link IngestConfig.Camera}.
   *
   * @throws IllegalArgumentException with a one-line message that says what to change
   */
  public static IngestConfig.Camera toIngest(Camera definition) {
    String id = definition.getId();
    if (!CameraIds.isValid(id)) {
      throw new IllegalArgumentException(
          "camera id " + CameraIds.quote(id) + " breaks the id rule: use " + CameraIds.RULE);
    }
    double timeout = definition.getReadTimeoutSeconds();
    if (!(timeout > 0) || timeout > 3600) {
      throw new IllegalArgumentException(
          "camera " + id + ": readTimeoutSeconds must be in (0, 3600], got " + timeout);
    }
    return new IngestConfig.Camera(
        id,
        definition.getUrl(),
        definition.getFps(),
        definition.getMaxWidth(),
        definition.getJpegQuality(),
        definition.getLoop(),
        definition.getRealtime(),
        Duration.ofMillis(Math.round(timeout * 1000)),
        definition.getOptions());
  }

  /**
   * The definition of {@code camera} as stored on the topic.
   *
   * @param enabled whether ingest runs it
   * @param labels free labels (site, building, ...)
   */
  public static Camera toDefinition(
      IngestConfig.Camera camera, boolean enabled, Map<String, String> labels, Instant updatedAt) {
    // builders fill defaults through Avro, which must trust the generated classes first
    TrustedClasses.install();
    return Camera.newBuilder()
        .setId(camera.id())
        .setUrl(camera.url())
        .setFps(camera.fps())
        .setMaxWidth(camera.maxWidth())
        .setJpegQuality(camera.jpegQuality())
        .setLoop(camera.loop())
        .setRealtime(camera.realtime())
        .setReadTimeoutSeconds(camera.readTimeout().toMillis() / 1000.0)
        .setOptions(new LinkedHashMap<>(camera.options()))
        .setEnabled(enabled)
        .setLabels(new LinkedHashMap<>(labels))
        .setUpdatedAt(updatedAt)
        .build();
  }

  /** {@link #resolveSecrets(IngestConfig.Camera, UnaryOperator)} with this host's environment. */
  public static IngestConfig.Camera resolveSecrets(IngestConfig.Camera camera) {
    return resolveSecrets(camera, System::getenv);
  }

  /**
   * {@code camera} with every {@code ${env:NAME}} of its URL and option values replaced by the
   * variable's value from {@code environment}.
   *
   * @throws IllegalArgumentException when a referenced variable is not set
   */
  public static IngestConfig.Camera resolveSecrets(
      IngestConfig.Camera camera, UnaryOperator<String> environment) {
    String url = resolve(camera.id(), "url", camera.url(), environment);
    Map<String, String> options = new LinkedHashMap<>();
    camera
        .options()
        .forEach(
            (key, value) ->
                options.put(key, resolve(camera.id(), "option " + key, value, environment)));
    if (url.equals(camera.url()) && options.equals(camera.options())) {
      return camera;
    }
    return new IngestConfig.Camera(
        camera.id(),
        url,
        camera.fps(),
        camera.maxWidth(),
        camera.jpegQuality(),
        camera.loop(),
        camera.realtime(),
        camera.readTimeout(),
        options);
  }

  private static String resolve(
      String camera, String where, String text, UnaryOperator<String> environment) {
    Matcher m = CameraUrls.ENV_REFERENCE.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String value = environment.apply(m.group(1));
      if (value == null) {
        throw new IllegalArgumentException(
            "camera "
                + camera
                + ": its "
                + where
                + " refers to ${env:"
                + m.group(1)
                + "}, which is not set on this host: set it in ingest's environment");
      }
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    return out.toString();
  }
}
