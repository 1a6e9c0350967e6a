package io.maskstream.schemas.models;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/** COCO's category names as torchvision's detection models number them. */
public final class CocoCategories {
  private static final List<String> TORCHVISION_91 = read();

  private CocoCategories() {}

  /**
   * torchvision's COCO category list: 91 names, index = COCO category id, 0 the background ({@code
   * __background__}), ids COCO leaves unused named {@code N/A}.
   */
  public static List<String> torchvision91() {
    return TORCHVISION_91;
  }

  private static List<String> read() {
    try (InputStream in = CocoCategories.class.getResourceAsStream("coco-categories.txt");
        BufferedReader r =
            new BufferedReader(
                new InputStreamReader(
                    Objects.requireNonNull(in, "coco-categories.txt"), StandardCharsets.UTF_8))) {
      return List.copyOf(r.lines().toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
