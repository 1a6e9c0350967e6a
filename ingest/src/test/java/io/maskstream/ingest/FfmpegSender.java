package io.maskstream.ingest;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Debian's {@code ffmpeg} playing a clip in a loop as a live stream, like a camera. */
public final class FfmpegSender implements AutoCloseable {
  private final List<String> command;
  private final Path log;
  private Process process;

  private FfmpegSender(List<String> command, Path log) {
    this.command = command;
    this.log = log;
  }

  /** MPEG-TS over UDP to {@code 127.0.0.1:port}. */
  public static FfmpegSender udp(Path clip, int port, Path log) {
    return new FfmpegSender(
        base(
            clip,
            // MPEG-2 repeats its sequence header every GOP, so a reader can join at any time
            "-c:v",
            "mpeg2video",
            "-q:v",
            "4",
            "-g",
            "12",
            "-f",
            "mpegts",
            "udp://127.0.0.1:" + port + "?pkt_size=1316"),
        log);
  }

  /** MPEG-TS over HTTP: ffmpeg listens on {@code 127.0.0.1:port} and serves one client. */
  public static FfmpegSender httpMpegTs(Path clip, int port, Path log) {
    return new FfmpegSender(
        base(
            clip,
            "-c:v",
            "mpeg2video",
            "-q:v",
            "4",
            "-g",
            "12",
            "-f",
            "mpegts",
            "-listen",
            "1",
            "http://127.0.0.1:" + port + "/camera.ts"),
        log);
  }

  /**
   * RTP to {@code 127.0.0.1:port} (RTCP to the next port), the stream described in {@code sdpFile}
   * for an RTSP server to serve.
   */
  public static FfmpegSender rtp(Path clip, int port, Path sdpFile, Path log) {
    return new FfmpegSender(
        base(
            clip,
            "-c:v",
            "mpeg4",
            "-q:v",
            "5",
            "-g",
            "12",
            "-f",
            "rtp",
            "-sdp_file",
            sdpFile.toString(),
            "rtp://127.0.0.1:" + port + "?pkt_size=1200"),
        log);
  }

  /**
   * Publishes to an RTSP server (ANNOUNCE and RECORD) with RTP interleaved over TCP, like a camera
   * pushing to a recorder. It exits when nobody listens: see {@link #startIfExited()}.
   */
  public static FfmpegSender rtspPush(Path clip, String url, Path log) {
    return new FfmpegSender(
        base(
            clip,
            "-c:v",
            "mpeg4",
            "-q:v",
            "5",
            "-g",
            "12",
            "-f",
            "rtsp",
            "-rtsp_transport",
            "tcp",
            url),
        log);
  }

  /** MJPEG over HTTP: ffmpeg listens on {@code 127.0.0.1:port} and serves one client. */
  public static FfmpegSender httpMjpeg(Path clip, int port, Path log) {
    return new FfmpegSender(
        base(
            clip,
            "-c:v",
            "mjpeg",
            "-q:v",
            "5",
            "-f",
            "mpjpeg",
            "-listen",
            "1",
            "http://127.0.0.1:" + port + "/camera.mjpg"),
        log);
  }

  private static List<String> base(Path clip, String... output) {
    List<String> command =
        new ArrayList<>(
            List.of(
                "ffmpeg",
                "-hide_banner",
                "-nostdin",
                "-loglevel",
                "error",
                "-re",
                "-stream_loop",
                "-1",
                "-i",
                clip.toString()));
    command.addAll(List.of(output));
    return command;
  }

  public FfmpegSender start() throws IOException {
    process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    return this;
  }

  /** Starts ffmpeg again when it has exited (or was never started); returns whether it did. */
  public boolean startIfExited() throws IOException {
    if (process != null && process.isAlive()) {
      return false;
    }
    start();
    return true;
  }

  /** Kills ffmpeg with SIGKILL, as a camera that loses power; {@link #start()} plays again. */
  public void kill() throws InterruptedException {
    if (process != null) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      process = null;
    }
  }

  /** Kills ffmpeg without waiting, e.g. from a shutdown hook. */
  public void destroy() {
    Process p = process;
    if (p != null) {
      p.destroyForcibly();
    }
  }

  public void stop() throws InterruptedException {
    if (process != null) {
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      process = null;
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}
