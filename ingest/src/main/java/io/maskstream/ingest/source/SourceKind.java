package io.maskstream.ingest.source;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The kinds of source ingest reads, recognised from the camera URL, with the FFmpeg input format
 * and options each needs so that a silent source never blocks a read forever.
 */
public enum SourceKind {
  /** {@code rtsp://} and {@code rtsps://}: interleaved over TCP, socket timeout. */
  RTSP(true),
  /** {@code http(s)://}: MJPEG or MPEG-TS over HTTP, read/write timeout. */
  HTTP(true),
  /** {@code udp://}, {@code rtp://}: MPEG-TS datagrams, receive timeout. */
  UDP(true),
  /** {@code tcp://}, {@code srt://} and other stream protocols: read/write timeout. */
  STREAM(true),
  /** {@code /dev/videoN}: a V4L2 capture device. */
  V4L2(true),
  /** A folder of images, read in name order. */
  IMAGE_FOLDER(false),
  /** A video file. */
  FILE(false);

  private final boolean live;

  SourceKind(boolean live) {
    this.live = live;
  }

  /** Whether frames come in real time (capture time = wall clock at grab). */
  public boolean live() {
    return live;
  }

  /** The kind of {@code url}. */
  public static SourceKind of(String url) {
    String lower = url.toLowerCase(Locale.ROOT);
    if (lower.startsWith("rtsp://") || lower.startsWith("rtsps://")) {
      return RTSP;
    }
    if (lower.startsWith("http://") || lower.startsWith("https://")) {
      return HTTP;
    }
    if (lower.startsWith("udp://") || lower.startsWith("rtp://")) {
      return UDP;
    }
    if (lower.matches("[a-z][a-z0-9+.-]*://.*") && !lower.startsWith("file://")) {
      return STREAM;
    }
    if (lower.startsWith("/dev/video") || lower.startsWith("v4l2:")) {
      return V4L2;
    }
    if (Files.isDirectory(Path.of(stripFileScheme(url)))) {
      return IMAGE_FOLDER;
    }
    return FILE;
  }

  /** The path of a file or folder URL ({@code file://} removed). */
  public static String stripFileScheme(String url) {
    return url.startsWith("file://") ? url.substring("file://".length()) : url;
  }

  /** The FFmpeg input format to force, or {@code null} to let FFmpeg probe. */
  public String inputFormat() {
    return this == V4L2 ? "video4linux2" : null;
  }

  /** What FFmpeg opens for {@code url}. */
  public String ffmpegUrl(String url) {
    if (this == V4L2 && url.startsWith("v4l2:")) {
      return url.substring("v4l2:".length());
    }
    return this == FILE ? stripFileScheme(url) : url;
  }

  /**
   * The FFmpeg options for this kind: protocol timeouts (FFmpeg takes microseconds) and transport,
   * overridden by {@code userOptions}.
   */
  public Map<String, String> ffmpegOptions(Duration readTimeout, Map<String, String> userOptions) {
    String micros = Long.toString(readTimeout.toNanos() / 1000);
    Map<String, String> options = new LinkedHashMap<>();
    switch (this) {
      case RTSP -> {
        options.put("rtsp_transport", "tcp");
        options.put("timeout", micros);
      }
      case HTTP, STREAM -> options.put("rw_timeout", micros);
      case UDP -> {
        options.put("timeout", micros);
        // a late reader must not kill the stream: drop what the socket buffer cannot hold
        options.put("overrun_nonfatal", "1");
        options.put("fifo_size", "278876");
      }
      default -> {}
    }
    options.putAll(userOptions);
    return options;
  }
}
