package io.maskstream.detector.model;

/**
 * A model file that cannot serve: unreadable, not ONNX, not a Mask R-CNN graph of a known contract,
 * or failing its warm-up. The message is one line saying what is wrong and what to do.
 */
public class ModelLoadException extends Exception {
  private static final long serialVersionUID = 1L;

  /** A refusal with a one-line reason. */
  public ModelLoadException(String message) {
    super(message);
  }

  /** A refusal with a one-line reason and its cause. */
  public ModelLoadException(String message, Throwable cause) {
    super(message, cause);
  }
}
