package io.maskstream.schemas.cli;

/**
 * Bad input that the user can fix: a missing file, an invalid setting, a command this build does
 * not include. Reported as one line and exit code 2, without a stack trace.
 */
public class UserException extends RuntimeException {
  /** An error whose message says what is wrong and what to do. */
  public UserException(String message) {
    super(message);
  }

  /** An error whose message says what is wrong and what to do, with its cause. */
  public UserException(String message, Throwable cause) {
    super(message, cause);
  }
}
