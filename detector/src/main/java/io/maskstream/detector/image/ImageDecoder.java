package io.maskstream.detector.image;

import io.maskstream.detector.SegmentationException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Decodes JPEG, PNG and BMP bytes with OpenCV's {@code imdecode} into {@link DecodedImage}s within
 * {@link FrameLimits}: the image's size is read from its header first (the JDK's image readers read
 * only the header), an image over the pixel limit is refused without being decoded, and a large one
 * is downscaled to the model's input size - a JPEG already while it is decoded (libjpeg's DCT
 * scaling by 1/2, 1/4 or 1/8), so a frame of tens of megapixels never exists at full size in
 * memory. Grey, 16-bit and alpha images become 8-bit BGR; an EXIF orientation is applied, as
 * browsers do. Stateless and thread-safe; native memory is released before each call returns.
 */
public final class ImageDecoder {
  private static final Set<String> FORMATS = Set.of("jpeg", "png", "bmp");

  private ImageDecoder() {}

  /** Decodes one encoded image at its own size, within the default limits. */
  public static DecodedImage decode(byte[] encoded) throws SegmentationException {
    return decode(encoded, FrameLimits.DEFAULTS);
  }

  /**
   * Decodes one encoded image into 8-bit BGR, downscaled to {@code limits}' input size when it is
   * larger.
   *
   * @throws SegmentationException {@code UNDECODABLE} when the bytes are empty or not a complete
   *     JPEG, PNG or BMP image; {@code TOO_LARGE} when it has more pixels than the limit
   */
  public static DecodedImage decode(byte[] encoded, FrameLimits limits)
      throws SegmentationException {
    if (encoded == null || encoded.length == 0) {
      throw new SegmentationException(SegmentationException.Kind.UNDECODABLE, "empty image bytes");
    }
    Header header = Header.read(encoded);
    if (limits.tooLarge(header.width, header.height)) {
      throw new SegmentationException(
          SegmentationException.Kind.TOO_LARGE,
          String.format(
              Locale.ROOT,
              "image is %dx%d (%.1f megapixels), above the limit of %.1f (--max-frame-megapixels):"
                  + " lower the camera's resolution or raise the limit",
              header.width,
              header.height,
              header.width * (double) header.height / 1e6,
              limits.maxFramePixels() / 1e6));
    }
    int[] target = limits.inputSize(header.width, header.height);
    int reduction = header.jpeg ? reduction(header.width, header.height, target) : 1;
    int flags =
        switch (reduction) {
          case 8 -> opencv_imgcodecs.IMREAD_REDUCED_COLOR_8;
          case 4 -> opencv_imgcodecs.IMREAD_REDUCED_COLOR_4;
          case 2 -> opencv_imgcodecs.IMREAD_REDUCED_COLOR_2;
          default -> opencv_imgcodecs.IMREAD_COLOR;
        };
    try (BytePointer bytes = new BytePointer(encoded);
        Mat raw = new Mat(1, encoded.length, opencv_core.CV_8UC1, bytes);
        Mat bgr = opencv_imgcodecs.imdecode(raw, flags)) {
      if (bgr == null || bgr.empty()) {
        throw new SegmentationException(
            SegmentationException.Kind.UNDECODABLE,
            "image does not decode ("
                + encoded.length
                + " bytes, not a complete "
                + header.format.toUpperCase(Locale.ROOT)
                + ")");
      }
      int frameWidth = header.width;
      int frameHeight = header.height;
      if (rotated(bgr, header, reduction)) {
        // an EXIF orientation of 90 or 270 degrees: the frame is shown rotated
        frameWidth = header.height;
        frameHeight = header.width;
        target = limits.inputSize(frameWidth, frameHeight);
      }
      return fit(bgr, target[0], target[1], frameWidth, frameHeight);
    }
  }

  /** Copies an 8-bit 3-channel BGR {@link Mat} (e.g. a video frame) into a {@link DecodedImage}. */
  public static DecodedImage fromMat(Mat bgr) {
    return fromMat(bgr, new FrameLimits(Integer.MAX_VALUE, Long.MAX_VALUE));
  }

  /**
   * Copies an 8-bit 3-channel BGR {@link Mat} (e.g. a video frame) into a {@link DecodedImage},
   * downscaled to {@code limits}' input size when it is larger (the pixel limit is not applied: the
   * frame is already in memory).
   */
  public static DecodedImage fromMat(Mat bgr, FrameLimits limits) {
    if (bgr.channels() != 3 || bgr.depth() != opencv_core.CV_8U) {
      throw new IllegalArgumentException(
          "expected 8-bit BGR, got " + bgr.channels() + " channels depth " + bgr.depth());
    }
    int[] target = limits.inputSize(bgr.cols(), bgr.rows());
    return fit(bgr, target[0], target[1], bgr.cols(), bgr.rows());
  }

  /** The pixels of {@code bgr}, resized to {@code width} x {@code height} when they differ. */
  private static DecodedImage fit(Mat bgr, int width, int height, int frameWidth, int frameHeight) {
    if (bgr.cols() == width && bgr.rows() == height) {
      return new DecodedImage(width, height, pixels(bgr), frameWidth, frameHeight);
    }
    try (Mat resized = new Mat();
        Size size = new Size(width, height)) {
      // area averaging: the downscale that keeps thin structures and does not alias
      opencv_imgproc.resize(bgr, resized, size, 0, 0, opencv_imgproc.INTER_AREA);
      return new DecodedImage(width, height, pixels(resized), frameWidth, frameHeight);
    }
  }

  private static byte[] pixels(Mat bgr) {
    byte[] pixels = new byte[Math.multiplyExact(Math.multiplyExact(bgr.cols(), bgr.rows()), 3)];
    if (bgr.isContinuous()) {
      bgr.data().get(pixels);
    } else {
      try (Mat copy = bgr.clone()) {
        copy.data().get(pixels);
      }
    }
    return pixels;
  }

  /**
   * The largest of libjpeg's scalings 1/2, 1/4, 1/8 that still leaves at least the target size (it
   * rounds up), else 1.
   */
  static int reduction(int width, int height, int[] target) {
    for (int r = 8; r > 1; r /= 2) {
      if (ceilDiv(width, r) >= target[0] && ceilDiv(height, r) >= target[1]) {
        return r;
      }
    }
    return 1;
  }

  private static boolean rotated(Mat bgr, Header header, int reduction) {
    int w = ceilDiv(header.width, reduction);
    int h = ceilDiv(header.height, reduction);
    return w != h && bgr.cols() == h && bgr.rows() == w;
  }

  private static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }

  /** Format and size of an encoded image, from its header alone. */
  private record Header(String format, int width, int height, boolean jpeg) {
    static Header read(byte[] encoded) throws SegmentationException {
      try (ImageInputStream in =
          new MemoryCacheImageInputStream(new ByteArrayInputStream(encoded))) {
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        while (readers.hasNext()) {
          ImageReader reader = readers.next();
          try {
            String format = reader.getFormatName().toLowerCase(Locale.ROOT);
            if (!FORMATS.contains(format)) {
              continue;
            }
            reader.setInput(in, true, true);
            int w = reader.getWidth(0);
            int h = reader.getHeight(0);
            if (w <= 0 || h <= 0) {
              throw new SegmentationException(
                  SegmentationException.Kind.UNDECODABLE,
                  "image header gives an empty size " + w + "x" + h);
            }
            return new Header(format, w, h, format.equals("jpeg"));
          } finally {
            reader.dispose();
          }
        }
      } catch (IOException | RuntimeException e) {
        throw new SegmentationException(
            SegmentationException.Kind.UNDECODABLE,
            "image header unreadable ("
                + encoded.length
                + " bytes): "
                + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()),
            e);
      }
      throw new SegmentationException(
          SegmentationException.Kind.UNDECODABLE,
          "not a JPEG, PNG or BMP image (" + encoded.length + " bytes)");
    }
  }
}
