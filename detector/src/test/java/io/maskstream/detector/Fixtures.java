package io.maskstream.detector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The committed fixtures made by {@code src/test/python/make_torchvision_fixture.py} and {@code
 * make_zoo_fixture.py} from torchvision: small Mask R-CNN ONNX exports, images and torchvision's
 * eager outputs on them.
 */
public final class Fixtures {
  private Fixtures() {}

  /** A fixture file on disk. */
  public static Path path(String name) {
    try {
      return Path.of(
          Objects.requireNonNull(Fixtures.class.getResource("/fixtures/" + name), name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The torchvision-exported shapes model. */
  public static Path model() {
    return path("shapes-torchvision.onnx");
  }

  /** A JSON fixture. */
  public static JsonNode json(String name) {
    try (InputStream in = Fixtures.class.getResourceAsStream("/fixtures/" + name)) {
      return new ObjectMapper().readTree(Objects.requireNonNull(in, name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Intersection over union of two binary masks given as row-major bytes. */
  public static double iou(byte[] a, byte[] b) {
    long inter = 0;
    long union = 0;
    for (int i = 0; i < a.length; i++) {
      boolean x = a[i] != 0;
      boolean y = b[i] != 0;
      inter += x && y ? 1 : 0;
      union += x || y ? 1 : 0;
    }
    return union == 0 ? 1.0 : (double) inter / union;
  }
}
