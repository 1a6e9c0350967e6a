package io.maskstream.detector;

/**
 * A frame that could not be segmented: its image did not decode, or the model failed on it. The
 * message is one line that goes into the dead-letter record as the reason.
 */
public class SegmentationException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Why the frame failed. */
  public enum Kind {
    /** The bytes are not an image the decoder understands, or the image is empty. */
    UNDECODABLE,
    /** The image is larger than the detector takes ({@code --max-frame-megapixels}). */
    TOO_LARGE,
    /** The model run or its post-processing failed. */
    INFERENCE
  }

  private final Kind kind;

  /** A failure of the given kind with a one-line reason. */
  public SegmentationException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  /** A failure of the given kind with a one-line reason and its cause. */
  public SegmentationException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  /** Why the frame failed. */
  public Kind kind() {
    return kind;
  }
}
