package io.maskstream.detector;

/**
 * Turns one encoded image (JPEG or PNG bytes) into the objects a Mask R-CNN model finds in it.
 *
 * <p>Implementations are thread-safe: every stream thread of a detector calls the same instance.
 * The caller owns the instance and closes it after the last call has returned; {@code segment}
 * after {@code close} throws {@link IllegalStateException}.
 */
public interface Segmenter extends AutoCloseable {
  /**
   * Decodes, runs the model and post-processes one image.
   *
   * @param encodedImage JPEG or PNG bytes
   * @return the detections, masks at image resolution
   * @throws SegmentationException when the image does not decode or the model fails on it
   */
  Segmentation segment(byte[] encodedImage) throws SegmentationException;

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
