package io.maskstream.schemas;

import java.util.regex.Pattern;

/**
 * The rule every camera id follows: 1-64 characters from {@code A-Z a-z 0-9 . _ -}. Camera ids are
 * Kafka record keys, metric labels, file and database keys, so every component that names a camera
 * checks it here; a record whose camera breaks the rule is refused, never used as a label.
 */
public final class CameraIds {
  /** The rule as a pattern. */
  public static final Pattern PATTERN = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  /** The rule in words, for messages. */
  public static final String RULE = "1-64 characters from A-Z a-z 0-9 . _ -";

  private static final int SHOWN = 40;

  private CameraIds() {}

  /** Whether {@code id} follows the rule. */
  public static boolean isValid(String id) {
    return id != null && PATTERN.matcher(id).matches();
  }

  /**
   * {@code id} made safe to put in a one-line message: quoted, control characters escaped, cut
   * after {@value #SHOWN} characters with the full length given.
   */
  public static String quote(String id) {
    if (id == null) {
      return "(none)";
    }
    StringBuilder b = new StringBuilder("'");
    int n = Math.min(id.length(), SHOWN);
    for (int i = 0; i < n; i++) {
      char c = id.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    b.append('\'');
    if (id.length() > SHOWN) {
      b.append("... (").append(id.length()).append(" characters)");
    }
    return b.toString();
  }
}
