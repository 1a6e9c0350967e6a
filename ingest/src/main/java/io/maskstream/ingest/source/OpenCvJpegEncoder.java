package io.maskstream.ingest.source;

import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_QUALITY;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Downscales and JPEG-encodes BGR images with OpenCV ({@code resize} with area interpolation,
 * {@code imencode}).
 *
 * <p>The encoder owns a scratch image and parameter buffers that it reuses between calls: one
 * instance per source thread, closed when the source stops. The returned bytes are a copy, so the
 * input image may be reused (the reader overwrites it on the next read) as soon as {@link #encode}
 * returns.
 */
public final class OpenCvJpegEncoder implements AutoCloseable {
  private static final int MIN_QUALITY = 20;
  private final int maxWidth;
  private final Mat scaled = new Mat();
  private final IntPointer params = new IntPointer(IMWRITE_JPEG_QUALITY, 85);
  private boolean closed;

  /**
   * An encoder that downscales images wider than {@code maxWidth} (0: never) keeping the aspect
   * ratio.
   */
  public OpenCvJpegEncoder(int maxWidth) {
    if (maxWidth < 0) {
      throw new IllegalArgumentException("maxWidth must be >= 0");
    }
    this.maxWidth = maxWidth;
  }

  /**
   * Encodes {@code image} (8-bit, 1 or 3 channels BGR) at {@code quality}; when the result is
   * larger than {@code maxBytes}, encodes again at lower qualities down to {@value #MIN_QUALITY}.
   *
   * @return the image, or {@code null} when it does not fit in {@code maxBytes} even at the lowest
   *     quality
   * @throws IllegalStateException when OpenCV cannot encode the image
   */
  public EncodedImage encode(Mat image, int quality, int maxBytes) {
    if (closed) {
      throw new IllegalStateException("encoder is closed");
    }
    long start = System.nanoTime();
    Mat source = image;
    if (maxWidth > 0 && image.cols() > maxWidth) {
      int height = Math.max(1, (int) Math.round((double) image.rows() * maxWidth / image.cols()));
      try (Size size = new Size(maxWidth, height)) {
        resize(image, scaled, size, 0, 0, INTER_AREA);
      }
      source = scaled;
    }
    int q = quality;
    while (true) {
      byte[] bytes = encodeOnce(source, q);
      if (bytes.length <= maxBytes) {
        return new EncodedImage(bytes, source.cols(), source.rows(), q, System.nanoTime() - start);
      }
      if (q <= MIN_QUALITY) {
        return null;
      }
      q = Math.max(MIN_QUALITY, q * 2 / 3);
    }
  }

  private byte[] encodeOnce(Mat image, int quality) {
    params.put(1, quality);
    try (BytePointer buffer = new BytePointer()) {
      if (!imencode(".jpg", image, buffer, params)) {
        throw new IllegalStateException(
            "OpenCV could not JPEG-encode a " + image.cols() + "x" + image.rows() + " image");
      }
      byte[] bytes = new byte[(int) buffer.limit()];
      buffer.get(bytes);
      return bytes;
    }
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      scaled.close();
      params.close();
    }
  }
}
