package io.maskstream.trainer.coco;

import io.maskstream.schemas.cli.UserException;

/**
 * A COCO annotations or results file that cannot be used as it is; the message names the file and
 * the entry, and says what to fix.
 */
public class CocoFormatException extends UserException {
  /** An error whose message names the file, the entry and the problem. */
  public CocoFormatException(String message) {
    super(message);
  }

  /** An error whose message names the file and the problem, with its cause. */
  public CocoFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
