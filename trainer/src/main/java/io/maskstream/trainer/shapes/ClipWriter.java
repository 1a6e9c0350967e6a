package io.maskstream.trainer.shapes;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.FrameRecorder;
import org.bytedeco.javacv.Java2DFrameConverter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Encodes frames into an MP4 file with FFmpeg (through JavaCV): H.264 when the FFmpeg build has an
 * encoder for it, MPEG-4 Part 2 otherwise. Owns the native encoder until {@link #close()}; not
 * thread-safe.
 */
final class ClipWriter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ClipWriter.class);

  private final Path file;
  private final FFmpegFrameRecorder recorder;
  private final Java2DFrameConverter converter = new Java2DFrameConverter();
  private final double fps;
  private long frames;

  ClipWriter(Path file, int width, int height, double fps) throws IOException {
    this.file = file;
    this.fps = fps;
    // FFmpeg prints the container layout at INFO level on start; keep the console to errors
    avutil.av_log_set_level(Math.min(avutil.av_log_get_level(), avutil.AV_LOG_ERROR));
    FFmpegFrameRecorder started = null;
    FrameRecorder.Exception failure = null;
    for (int codec : new int[] {avcodec.AV_CODEC_ID_H264, avcodec.AV_CODEC_ID_MPEG4}) {
      FFmpegFrameRecorder r = new FFmpegFrameRecorder(file.toFile(), width, height, 0);
      r.setFormat("mp4");
      r.setVideoCodec(codec);
      r.setPixelFormat(avutil.AV_PIX_FMT_YUV420P);
      r.setFrameRate(fps);
      r.setGopSize((int) Math.max(1, Math.round(fps)));
      r.setVideoBitrate(Math.max(400_000, (int) Math.min(20_000_000, 2.0 * width * height * fps)));
      try {
        r.start();
        started = r;
        break;
      } catch (FrameRecorder.Exception e) {
        LOG.debug("codec {} unavailable for {}: {}", codec, file, e.getMessage());
        failure = e;
        r.release();
      }
    }
    if (started == null) {
      throw new IOException("cannot encode a video into " + file + ": " + failure, failure);
    }
    this.recorder = started;
  }

  /** Appends one frame (the clip's size); the image may be reused after the call. */
  void write(BufferedImage frame) throws IOException {
    recorder.setTimestamp(Math.round(frames * 1_000_000 / fps));
    recorder.record(converter.convert(frame));
    frames++;
  }

  @Override
  public void close() throws IOException {
    try {
      recorder.stop();
    } finally {
      recorder.release();
      converter.close();
    }
    LOG.debug("wrote {} frames to {}", frames, file);
  }
}
