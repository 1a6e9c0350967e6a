package io.maskstream.detector;

import java.util.Objects;

/**
 * Which model produced an event: its name and its version, the leading hex digits of the model
 * file's sha256. Immutable.
 *
 * @param name model name (the key of its announcement on the models topic)
 * @param version content hash of the model file
 */
public record ModelIdentity(String name, String version) {
  /** Checks that both parts are present. */
  public ModelIdentity {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(version, "version");
  }

  @Override
  public String toString() {
    return name + "@" + version;
  }
}
