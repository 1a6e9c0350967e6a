package io.maskstream.trainer.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.trainer.engine.nn.BatchNorm2d;
import io.maskstream.trainer.engine.nn.Conv2d;
import io.maskstream.trainer.engine.nn.ConvTranspose2d;
import io.maskstream.trainer.engine.nn.FrozenBatchNorm2d;
import io.maskstream.trainer.engine.nn.Linear;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Layers with torchvision's weights copied in by name give torchvision's outputs. */
@SuppressWarnings("try") // each PointerScope releases the tensors a test creates
class ModuleTest {
  static JsonNode layers;

  @BeforeAll
  static void load() throws IOException {
    try (InputStream in = ModuleTest.class.getResourceAsStream("/torchvision/components.json")) {
      layers = new ObjectMapper().readTree(in).get("layers");
    }
    Torch.load();
  }

  static float[] floats(JsonNode n) {
    float[] out = new float[n.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) n.get(i).asDouble();
    }
    return out;
  }

  static long[] shape(JsonNode n) {
    long[] out = new long[n.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = n.get(i).asLong();
    }
    return out;
  }

  static Map<String, Tensor> state(JsonNode state) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    state
        .fields()
        .forEachRemaining(
            e ->
                out.put(
                    e.getKey(),
                    Torch.floats(
                        floats(e.getValue().get("values")), shape(e.getValue().get("shape")))));
    return out;
  }

  static void assertClose(Tensor actual, JsonNode expected) {
    float[] a = Torch.toFloats(actual);
    float[] e = floats(expected);
    assertThat(a).hasSameSizeAs(e);
    for (int i = 0; i < a.length; i++) {
      assertThat((double) Math.abs(a[i] - e[i]))
          .as("element %d", i)
          .isLessThanOrEqualTo(1e-5 * Math.max(1, Math.abs(e[i])));
    }
  }

  <M extends Module> void check(String name, M module, Function<Tensor, Tensor> forward) {
    JsonNode c = layers.get(name);
    try (PointerScope scope = new PointerScope();
        M m = module) {
      assertThat(m.stateDict().keySet())
          .containsExactlyElementsOf(() -> c.get("state").fieldNames());
      m.loadStateDict(state(c.get("state")), true);
      Tensor input = Torch.floats(floats(layers.get("input")), shape(layers.get("input_shape")));
      assertClose(forward.apply(input), c.get("output"));
    }
  }

  @Test
  void layersEqualPytorchsWithTheSameWeights() {
    SplittableRandom r = new SplittableRandom(1);
    Conv2d conv = new Conv2d(r, 3, 4, 7, 2, 3, false);
    check("conv", conv, conv::forward);
    Conv2d convBias = new Conv2d(r, 3, 5, 3, 1, 1, true);
    check("conv_bias", convBias, convBias::forward);
    ConvTranspose2d deconv = new ConvTranspose2d(r, 3, 2, 2, 2);
    check("deconv", deconv, deconv::forward);
    Linear linear = new Linear(r, 11, 6);
    check("linear", linear, linear::forward);
    FrozenBatchNorm2d frozen = new FrozenBatchNorm2d(3);
    check("frozen_bn", frozen, frozen::forward);
  }

  @Test
  void batchNormUsesBatchStatisticsInTrainingAndRunningOnesInEvaluation() {
    JsonNode c = layers.get("batch_norm");
    try (PointerScope scope = new PointerScope();
        BatchNorm2d bn = new BatchNorm2d(3)) {
      bn.loadStateDict(state(c.get("state")), true);
      Tensor input = Torch.floats(floats(layers.get("input")), shape(layers.get("input_shape")));
      assertThat(bn.isTraining()).isTrue();
      assertClose(bn.forward(input), c.get("train_output"));
      assertClose(
          bn.stateDict().get("running_mean"),
          c.get("state_after").get("running_mean").get("values"));
      assertClose(
          bn.stateDict().get("running_var"), c.get("state_after").get("running_var").get("values"));
      assertThat(Torch.toLongs(bn.stateDict().get("num_batches_tracked"))).containsExactly(1);
      bn.train(false);
      assertClose(bn.forward(input), c.get("eval_output"));
    }
  }

  /** A two-level module, to check dotted names and mode propagation. */
  static final class Block extends Module {
    Block(SplittableRandom r) {
      registerModule("conv1", new Conv2d(r, 3, 4, 3, 1, 1, false));
      registerModule("bn1", new FrozenBatchNorm2d(4));
    }
  }

  static final class Net extends Module {
    final Block block;

    Net(SplittableRandom r) {
      registerModule("stem", new Conv2d(r, 3, 3, 1, 1, 0, true));
      block = registerModule("layer1", new Block(r));
    }
  }

  @Test
  void namesFollowPytorchsStateDictAndModesPropagate() {
    try (PointerScope scope = new PointerScope();
        Net net = new Net(new SplittableRandom(3))) {
      assertThat(net.stateDict().keySet())
          .containsExactly(
              "stem.weight",
              "stem.bias",
              "layer1.conv1.weight",
              "layer1.bn1.weight",
              "layer1.bn1.bias",
              "layer1.bn1.running_mean",
              "layer1.bn1.running_var");
      assertThat(net.namedParameters().keySet())
          .containsExactly("stem.weight", "stem.bias", "layer1.conv1.weight");
      net.train(false);
      assertThat(net.block.isTraining()).isFalse();
      Map<String, Tensor> wrong = new LinkedHashMap<>(net.stateDict());
      wrong.remove("stem.bias");
      wrong.put("stem.weight", Torch.floats(new float[4], 2, 2));
      wrong.put("fc.weight", Torch.floats(new float[1], 1));
      assertThatThrownBy(() -> net.loadStateDict(wrong, true))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("stem.weight has shape [2, 2], expected [3, 3, 1, 1]")
          .hasMessageContaining("missing stem.bias")
          .hasMessageContaining("unexpected fc.weight");
    }
  }

  @Test
  void theSameSeedGivesTheSameWeights() {
    try (PointerScope scope = new PointerScope();
        Net a = new Net(new SplittableRandom(9));
        Net b = new Net(new SplittableRandom(9));
        Net c = new Net(new SplittableRandom(10))) {
      assertThat(Torch.toFloats(a.stateDict().get("layer1.conv1.weight")))
          .containsExactly(Torch.toFloats(b.stateDict().get("layer1.conv1.weight")));
      assertThat(Torch.toFloats(a.stateDict().get("layer1.conv1.weight")))
          .isNotEqualTo(Torch.toFloats(c.stateDict().get("layer1.conv1.weight")));
    }
  }
}
