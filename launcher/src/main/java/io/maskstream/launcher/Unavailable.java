package io.maskstream.launcher;

import io.maskstream.schemas.cli.UserException;

/** Reports a command whose module this build does not include yet. */
final class Unavailable {
  private Unavailable() {}

  /** Always throws: the command exists in the product but not in this build. */
  static Integer command(String command, String missing) {
    throw new UserException(
        "'"
            + command
            + "' is not available in this build yet: "
            + missing
            + " (see README, 'Status')");
  }
}
