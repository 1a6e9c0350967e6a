package io.maskstream.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.trainer.engine.Torch;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;

/**
 * torchvision's outputs for the detection stages (detection.json, written by
 * src/test/python/make_torchvision_fixtures.py), with tensors stored bit-exactly.
 */
final class DetectionFixtures {
  private static final java.util.Map<String, JsonNode> FILES = new java.util.HashMap<>();

  private DetectionFixtures() {}

  /** A stage of the detection fixtures (detection.json). */
  static JsonNode get(String stage) {
    return file("detection.json").get(stage);
  }

  /** A stage of the keypoint head fixtures (keypoints.json, make_keypoint_head_fixtures.py). */
  static JsonNode keypoints(String stage) {
    return file("keypoints.json").get(stage);
  }

  private static synchronized JsonNode file(String name) {
    JsonNode root = FILES.get(name);
    if (root == null) {
      try (InputStream in = DetectionFixtures.class.getResourceAsStream("/torchvision/" + name)) {
        root = new ObjectMapper().readTree(in);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Torch.load();
      FILES.put(name, root);
    }
    return root;
  }

  static long[] shape(JsonNode packed) {
    long[] out = new long[packed.get("shape").size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = packed.get("shape").get(i).asLong();
    }
    return out;
  }

  /** The values as float32 (masks stored as bytes become 0/1 floats). */
  static float[] floats(JsonNode packed) {
    try {
      if (packed.has("f32")) {
        ByteBuffer b =
            ByteBuffer.wrap(packed.get("f32").binaryValue()).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
      }
      byte[] bytes = packed.get("u8").binaryValue();
      float[] out = new float[bytes.length];
      for (int i = 0; i < out.length; i++) {
        out[i] = bytes[i] & 0xff;
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static long[] longs(JsonNode list) {
    long[] out = new long[list.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = list.get(i).asLong();
    }
    return out;
  }

  /** A new float32 tensor; the caller (or its scope) owns it. */
  static Tensor tensor(JsonNode packed) {
    return Torch.floats(floats(packed), shape(packed));
  }

  static List<Tensor> tensors(JsonNode packedList) {
    List<Tensor> out = new ArrayList<>();
    packedList.forEach(p -> out.add(tensor(p)));
    return out;
  }

  static List<int[]> sizes(JsonNode list) {
    List<int[]> out = new ArrayList<>();
    list.forEach(s -> out.add(new int[] {s.get(0).asInt(), s.get(1).asInt()}));
    return out;
  }

  static Map<String, Tensor> state(JsonNode packedState) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    packedState
        .fields()
        .forEachRemaining(
            e -> {
              JsonNode v = e.getValue();
              out.put(
                  e.getKey(),
                  v.has("i64")
                      ? Torch.longs(longsOf(v), shape(v))
                      : Torch.floats(floats(v), shape(v)));
            });
    return out;
  }

  static long[] longsOf(JsonNode packed) {
    try {
      ByteBuffer b =
          ByteBuffer.wrap(packed.get("i64").binaryValue()).order(ByteOrder.LITTLE_ENDIAN);
      long[] out = new long[b.remaining() / 8];
      b.asLongBuffer().get(out);
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Element-wise agreement within {@code tolerance} relative to max(1, |expected|). */
  static void assertClose(Tensor actual, JsonNode expected, double tolerance) {
    assertThat(actual.shape()).as("shape").containsExactly(shape(expected));
    assertClose(Torch.toFloats(actual), floats(expected), tolerance);
  }

  static void assertClose(float[] actual, float[] expected, double tolerance) {
    assertThat(actual).hasSameSizeAs(expected);
    for (int i = 0; i < actual.length; i++) {
      double scale = Math.max(1, Math.abs(expected[i]));
      assertThat((double) Math.abs(actual[i] - expected[i]))
          .as("element %d: %s vs torchvision %s", i, actual[i], expected[i])
          .isLessThanOrEqualTo(tolerance * scale);
    }
  }

  /** A scalar loss within {@code relative} of torchvision's. */
  static void assertLoss(Tensor loss, JsonNode expected, double relative) {
    double want = expected.asDouble();
    double got = Torch.toFloats(loss)[0];
    assertThat(Math.abs(got - want))
        .as("loss %s vs torchvision %s", got, want)
        .isLessThanOrEqualTo(relative * Math.abs(want) + 1e-7);
  }
}
