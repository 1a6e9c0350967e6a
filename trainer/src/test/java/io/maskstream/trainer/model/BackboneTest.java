package io.maskstream.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.trainer.engine.Torch;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tiny, ResNet-18 and ResNet-50 FPN backbones against torchvision's with the same weights:
 * identical state-dict keys (and, for ResNet-50, trained parameters) and the same pyramid levels.
 * The weights follow {@link SyntheticWeights}, so only inputs and outputs are stored.
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

  static void check(String name, Backbone backbone) {
    JsonNode c = fixtures.get(name);
    try (PointerScope scope = new PointerScope();
        Backbone net = backbone) {
      List<String> keys = new ArrayList<>();
      c.get("keys").forEach(k -> keys.add(k.asText()));
      assertThat(net.stateDict().keySet()).containsExactlyElementsOf(keys);
      SyntheticWeights.load(net).train(false);
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
