package io.maskstream.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.trainer.engine.Torch;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tiny, ResNet-18 and ResNet-50 FPN backbones against torchvision's with the same weights:
 * identical state-dict keys (and, for ResNet-50, trained parameters) and the same pyramid levels.
 * The weights follow a rule both sides compute exactly in float32 (synthetic() in
 * make_torchvision_fixtures.py), so only inputs and outputs are stored.
 */
@SuppressWarnings("try") // each PointerScope releases the tensors a test creates
class BackboneTest {
  static JsonNode fixtures;

  @BeforeAll
  static void load() throws IOException {
    try (InputStream in = BackboneTest.class.getResourceAsStream("/torchvision/backbones.json")) {
      fixtures = new ObjectMapper().readTree(in);
    }
    Torch.load();
  }

  static long javaHash(String key) {
    return key.hashCode() & 0xFFFFFFFFL;
  }

  /** The fixture script's weight rule for one state-dict entry. */
  static float[] synthetic(String key, long[] shape) {
    int n = 1;
    for (long d : shape) {
      n *= (int) d;
    }
    long salt = javaHash(key) * 40503L;
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      long h = ((i + 1L) * 2654435761L + salt) & 0xFFFFFFFFL;
      float v = (float) ((h >>> 8) - (1L << 23)) / (float) (1 << 23);
      if (key.endsWith("running_var")) {
        out[i] = 1f + 0.5f * v;
      } else if (key.endsWith("running_mean") || key.endsWith("bias")) {
        out[i] = 0.1f * v;
      } else if (shape.length == 1) {
        out[i] = 1f + 0.25f * v;
      } else {
        long fanIn = n / shape[0];
        int e = (63 - Long.numberOfLeadingZeros(fanIn)) / 2;
        out[i] = v * (float) Math.scalb(1.0, -e);
      }
    }
    return out;
  }

  static void check(String name, Backbone backbone) {
    JsonNode c = fixtures.get(name);
    try (PointerScope scope = new PointerScope();
        Backbone net = backbone) {
      List<String> keys = new ArrayList<>();
      c.get("keys").forEach(k -> keys.add(k.asText()));
      assertThat(net.stateDict().keySet()).containsExactlyElementsOf(keys);
      Map<String, Tensor> weights = new LinkedHashMap<>();
      net.stateDict()
          .forEach(
              (k, v) -> {
                if (!k.endsWith("num_batches_tracked")) {
                  weights.put(k, Torch.floats(synthetic(k, v.shape()), v.shape()));
                }
              });
      net.loadStateDict(weights, false);
      net.train(false);
      List<Tensor> levels = net.forward(DetectionFixtures.tensor(c.get("input")));
      String[] names = {"0", "1", "2", "3", "pool"};
      assertThat(levels).hasSize(names.length);
      for (int l = 0; l < names.length; l++) {
        JsonNode want = c.get("outputs").get(names[l]);
        float[] expected = DetectionFixtures.floats(want);
        float scale = 0;
        for (float v : expected) {
          scale = Math.max(scale, Math.abs(v));
        }
        assertThat(scale).as("level %s is not degenerate", names[l]).isGreaterThan(1e-3f);
        assertThat(levels.get(l).shape()).containsExactly(DetectionFixtures.shape(want));
        float[] actual = Torch.toFloats(levels.get(l));
        for (int i = 0; i < actual.length; i++) {
          assertThat((double) Math.abs(actual[i] - expected[i]))
              .as("level %s element %d: %s vs torchvision %s", names[l], i, actual[i], expected[i])
              .isLessThanOrEqualTo(1e-5 * scale);
        }
        levels.get(l).close();
      }
    }
  }

  @Test
  void resnet18FpnTrainsWhatTorchvisionTrains() {
    try (Backbone r18 = Backbone.resnet18Fpn(new SplittableRandom(1));
        Backbone tiny = Backbone.tiny(new SplittableRandom(1))) {
      assertThat(r18.trainableParameters().keySet())
          .doesNotContain("body.conv1.weight", "body.layer1.0.conv1.weight")
          .contains(
              "body.layer2.0.conv1.weight",
              "body.layer4.1.conv2.weight",
              "fpn.inner_blocks.0.0.weight");
      assertThat(r18.trainableParameters().keySet())
          .allMatch(k -> !k.startsWith("body.layer1.") && !k.startsWith("body.conv1."));
      assertThat(tiny.trainableParameters()).hasSameSizeAs(tiny.namedParameters());
    }
  }

  /** The names of the parameters torchvision trains in the fixture {@code name}. */
  static List<String> trainable(JsonNode c) {
    List<String> out = new ArrayList<>();
    c.get("trainable").forEach(k -> out.add(k.asText()));
    return out;
  }

  @Test
  void resnet50FpnTrainsWhatTorchvisionTrains() {
    try (Backbone r50 = Backbone.resnet50Fpn(new SplittableRandom(1))) {
      List<String> want = trainable(fixtures.get("r50_fpn"));
      assertThat(want).contains("body.layer2.0.conv3.weight").doesNotContain("body.conv1.weight");
      assertThat(r50.trainableParameters().keySet()).containsExactlyInAnyOrderElementsOf(want);
    }
  }

  @Test
  void tinyBackboneEqualsTheSameNetworkBuiltWithTorchvision() {
    check("tiny", Backbone.tiny(new SplittableRandom(1)));
  }

  @Test
  void resnet18FpnEqualsTorchvisionsResnetFpnBackbone() {
    check("r18_fpn", Backbone.resnet18Fpn(new SplittableRandom(1)));
  }

  @Test
  void resnet50FpnEqualsTorchvisionsResnetFpnBackbone() {
    check("r50_fpn", Backbone.resnet50Fpn(new SplittableRandom(1)));
  }
}
