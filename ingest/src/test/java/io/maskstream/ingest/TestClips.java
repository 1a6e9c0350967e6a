package io.maskstream.ingest;

import static org.bytedeco.opencv.global.opencv_imgcodecs.imwrite;
import static org.bytedeco.opencv.global.opencv_imgproc.FILLED;
import static org.bytedeco.opencv.global.opencv_imgproc.rectangle;

import java.nio.file.Path;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.FrameRecorder;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Scalar;

/** Generates small test videos and images: a moving square on a gradient-free gray background. */
final class TestClips {
  private TestClips() {}

  /** Writes an MPEG-4 Part 2 video of {@code frames} frames at {@code fps} to {@code out}. */
  static Path video(Path out, int width, int height, double fps, int frames)
      throws FrameRecorder.Exception {
    try (FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(out.toFile(), width, height, 0);
        OpenCVFrameConverter.ToMat converter = new OpenCVFrameConverter.ToMat()) {
      recorder.setFormat(out.toString().endsWith(".ts") ? "mpegts" : "mp4");
      recorder.setVideoCodec(avcodec.AV_CODEC_ID_MPEG4);
      recorder.setFrameRate(fps);
      recorder.setGopSize((int) Math.max(1, fps));
      recorder.setVideoQuality(5);
      recorder.start();
      for (int i = 0; i < frames; i++) {
        try (Mat image = image(width, height, i)) {
          recorder.record(converter.convert(image));
        }
      }
      recorder.stop();
    }
    return out;
  }

  /** Writes {@code count} PNG images named {@code img-000.png}... into {@code dir}. */
  static Path images(Path dir, int width, int height, int count) {
    for (int i = 0; i < count; i++) {
      try (Mat image = image(width, height, i)) {
        imwrite(dir.resolve(String.format("img-%03d.png", i)).toString(), image);
      }
    }
    return dir;
  }

  /** Frame {@code i}: gray background with a white square moving left to right. */
  static Mat image(int width, int height, int i) {
    Mat image =
        new Mat(
            height,
            width,
            org.bytedeco.opencv.global.opencv_core.CV_8UC3,
            new Scalar(64, 96, 128, 0));
    int size = Math.max(8, height / 5);
    int x = (i * 7) % Math.max(1, width - size);
    try (Point a = new Point(x, height / 3);
        Point b = new Point(x + size, height / 3 + size);
        Scalar white = new Scalar(255, 255, 255, 0)) {
      rectangle(image, a, b, white, FILLED, 8, 0);
    }
    return image;
  }
}
