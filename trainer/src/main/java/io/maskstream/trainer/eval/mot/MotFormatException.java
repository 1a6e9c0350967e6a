package io.maskstream.trainer.eval.mot;

import io.maskstream.schemas.cli.UserException;

/**
 * A MOTChallenge text file that cannot be used as it is; the message is one line, {@code file:line:
 * what is wrong}.
 */
public class MotFormatException extends UserException {
  /** An error whose message names the file, the line and the problem. */
  public MotFormatException(String message) {
    super(message);
  }

  /** An error whose message names the file and the problem, with its cause. */
  public MotFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
