package io.maskstream.ingest;

import io.maskstream.schemas.CameraIds;
import io.maskstream.schemas.CameraUrls;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything {@code maskstream ingest} needs to run, validated and immutable.
 *
 * <p>Built by {@link IngestConfigLoader} from {@code --camera} flags and a {@code cameras.yaml};
 * defaults live in {@link Defaults}.
 *
 * @param cameras the sources, each with its own id and settings (ids are unique)
 * @param metricsPort port of the Prometheus endpoint on all interfaces; 0 picks a free port, -1
 *     disables it
 * @param logInterval period of the one-line status log; zero disables it
 * @param inFlightPerCamera frames per camera handed to Kafka and not yet acknowledged, at most
 */
public record IngestConfig(
    List<Camera> cameras, int metricsPort, Duration logInterval, int inFlightPerCamera) {

  /** The defaults used when neither the command line nor the file set a value. */
  public static final class Defaults {
    /** Frames per second sent per camera. */
    public static final double FPS = 10.0;

    /** No downscaling. */
    public static final int MAX_WIDTH = 0;

    /** OpenCV JPEG quality 0-100. */
    public static final int JPEG_QUALITY = 85;

    /** Read timeout of network sources. */
    public static final Duration READ_TIMEOUT = Duration.ofSeconds(5);

    /** Prometheus endpoint port (the Prometheus exporter convention). */
    public static final int METRICS_PORT = 9464;

    /** Period of the status log line. */
    public static final Duration LOG_INTERVAL = Duration.ofSeconds(30);

    /** Unacknowledged frames per camera before newer frames replace older ones. */
    public static final int IN_FLIGHT_PER_CAMERA = 4;

    private Defaults() {}
  }

  /**
   * One source.
   *
   * @param id camera id, the record key (see {@link CameraIds})
   * @param url what FFmpeg opens: a file, {@code rtsp://}, {@code http://}, {@code udp://}, {@code
   *     /dev/videoN}, or a folder of images; checked by {@link CameraUrls#check}, and may hold
   *     {@code ${env:NAME}} references resolved when the camera starts
   * @param fps frames per second to send, sampled by presentation time
   * @param maxWidth downscale wider frames to this width keeping the aspect ratio; 0 keeps the size
   * @param jpegQuality JPEG quality 1-100
   * @param loop restart a video file or image folder at its end
   * @param realtime pace files and folders at their own frame rate, like a camera; off reads them
   *     as fast as Kafka takes the frames
   * @param readTimeout how long a network read may block before the source counts as down
   * @param options FFmpeg options (e.g. {@code rtsp_transport}, {@code video_size}); they override
   *     the defaults chosen for the protocol
   */
  public record Camera(
      String id,
      String url,
      double fps,
      int maxWidth,
      int jpegQuality,
      boolean loop,
      boolean realtime,
      Duration readTimeout,
      Map<String, String> options) {

    /** Checks the values and copies the options. */
    public Camera {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(url, "url");
      Objects.requireNonNull(readTimeout, "readTimeout");
      try {
        CameraUrls.check(url);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("camera " + id + ": " + e.getMessage(), e);
      }
      if (!(fps > 0) || fps > 1000) {
        throw new IllegalArgumentException(
            "camera " + id + ": fps must be in (0, 1000], got " + fps);
      }
      if (maxWidth < 0) {
        throw new IllegalArgumentException(
            "camera " + id + ": maxWidth must be 0 (keep) or positive, got " + maxWidth);
      }
      if (jpegQuality < 1 || jpegQuality > 100) {
        throw new IllegalArgumentException(
            "camera " + id + ": jpegQuality must be 1-100, got " + jpegQuality);
      }
      if (readTimeout.isNegative() || readTimeout.isZero()) {
        throw new IllegalArgumentException("camera " + id + ": readTimeout must be positive");
      }
      options = Map.copyOf(options);
    }

    /** Whether {@link #id} can be used as a record key and metric tag. */
    public boolean hasValidId() {
      return CameraIds.isValid(id);
    }
  }

  /** Checks the values and copies the camera list. */
  public IngestConfig {
    cameras = List.copyOf(cameras);
    Objects.requireNonNull(logInterval, "logInterval");
    if (metricsPort < -1 || metricsPort > 65535) {
      throw new IllegalArgumentException(
          "metrics port must be -1 (off), 0 (any) or 1-65535, got " + metricsPort);
    }
    if (inFlightPerCamera < 1) {
      throw new IllegalArgumentException("in-flight frames per camera must be at least 1");
    }
    if (cameras.stream().map(Camera::id).distinct().count() != cameras.size()) {
      throw new IllegalArgumentException("camera ids must be unique");
    }
  }
}
