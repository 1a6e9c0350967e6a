package io.maskstream.detector;

import io.maskstream.detector.image.DecodedImage;

/**
 * Turns one encoded image (JPEG or PNG bytes) into the objects a Mask R-CNN model finds in it, in
 * two steps: {@link #decode} (independent of the model served, so a caller may run it ahead, on
 * another thread, while the model works on the previous image) and {@link #segment(DecodedImage,
 * float)}.
 *
 * <p>Implementations are thread-safe: every stream thread of a detector calls the same instance.
 * The caller owns the instance and closes it after the last call has returned; {@code segment}
 * after {@code close} throws {@link IllegalStateException}.
 */
public interface Segmenter extends AutoCloseable {
  /**
   * Decodes one encoded image.
   *
   * @param encodedImage JPEG or PNG bytes
   * @throws SegmentationException ({@code UNDECODABLE}) when the bytes are not an image
   */
  DecodedImage decode(byte[] encodedImage) throws SegmentationException;

  /**
   * Runs the model and post-processes one decoded image.
   *
   * @param decodeMs how long {@link #decode} took, reported in the timings
   * @return the detections, masks at image resolution
   * @throws SegmentationException when the model fails on it
   */
  Segmentation segment(DecodedImage image, float decodeMs) throws SegmentationException;

  /** {@link #decode} then {@link #segment(DecodedImage, float)}. */
  default Segmentation segment(byte[] encodedImage) throws SegmentationException {
    long t0 = System.nanoTime();
    DecodedImage image = decode(encodedImage);
    return segment(image, (System.nanoTime() - t0) / 1e6f);
  }

  /** The model currently answering {@link #segment}. */
  ModelIdentity model();

  /**
   * The slowest single {@link #segment} call measured so far in milliseconds (at least the
   * warm-up), used to size the stream's poll interval.
   */
  long worstCaseMillis();

  @Override
  void close();
}
