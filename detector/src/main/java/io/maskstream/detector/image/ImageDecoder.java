package io.maskstream.detector.image;

import io.maskstream.detector.SegmentationException;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Decodes JPEG and PNG bytes with OpenCV's {@code imdecode} into {@link DecodedImage}s. Stateless
 * and thread-safe; native memory is released before each call returns.
 */
public final class ImageDecoder {
  private ImageDecoder() {}

  /**
   * Decodes one encoded image into 8-bit BGR.
   *
   * @throws SegmentationException ({@code UNDECODABLE}) when the bytes are empty or not an image
   */
  public static DecodedImage decode(byte[] encoded) throws SegmentationException {
    if (encoded == null || encoded.length == 0) {
      throw new SegmentationException(SegmentationException.Kind.UNDECODABLE, "empty image bytes");
    }
    try (BytePointer bytes = new BytePointer(encoded);
        Mat raw =
            new Mat(1, encoded.length, org.bytedeco.opencv.global.opencv_core.CV_8UC1, bytes);
        Mat bgr = opencv_imgcodecs.imdecode(raw, opencv_imgcodecs.IMREAD_COLOR)) {
      if (bgr == null || bgr.empty()) {
        throw new SegmentationException(
            SegmentationException.Kind.UNDECODABLE,
            "image does not decode (" + encoded.length + " bytes, not a complete JPEG or PNG)");
      }
      return fromMat(bgr);
    }
  }

  /** Copies an 8-bit 3-channel BGR {@link Mat} (e.g. a video frame) into a {@link DecodedImage}. */
  public static DecodedImage fromMat(Mat bgr) {
    if (bgr.channels() != 3 || bgr.depth() != org.bytedeco.opencv.global.opencv_core.CV_8U) {
      throw new IllegalArgumentException(
          "expected 8-bit BGR, got " + bgr.channels() + " channels depth " + bgr.depth());
    }
    int w = bgr.cols();
    int h = bgr.rows();
    byte[] pixels = new byte[w * h * 3];
    if (bgr.isContinuous()) {
      bgr.data().get(pixels);
    } else {
      try (Mat copy = bgr.clone()) {
        copy.data().get(pixels);
      }
    }
    return new DecodedImage(w, h, pixels);
  }
}
