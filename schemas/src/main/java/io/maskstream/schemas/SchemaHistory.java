package io.maskstream.schemas;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;

/**
 * Every published version of each top-level event schema, as shipped in this jar under {@code
 * io/maskstream/schemas/history/NAME.vN.avsc}.
 *
 * <p>Readers use the history to decode bytes written by any earlier release. Changing a schema
 * means adding its next version here; a test checks that the newest entry equals the generated
 * class and that every entry stays readable.
 */
public final class SchemaHistory {
  private static final String ROOT = "/io/maskstream/schemas/history/";

  private SchemaHistory() {}

  /**
   * The versions of the record named {@code simpleName} (e.g. {@code "Frame"}), oldest first.
   *
   * @return an empty list when the record has no history
   */
  public static List<Schema> versions(String simpleName) {
    List<Schema> result = new ArrayList<>();
    for (int v = 1; ; v++) {
      try (InputStream in =
          SchemaHistory.class.getResourceAsStream(ROOT + simpleName + ".v" + v + ".avsc")) {
        if (in == null) {
          return result;
        }
        result.add(new Schema.Parser().parse(in));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read schema history of " + simpleName, e);
      }
    }
  }
}
