package io.maskstream.trainer.model;

import static io.maskstream.trainer.export.OnnxGraph.attr;

import io.maskstream.trainer.engine.LayerModule;
import io.maskstream.trainer.engine.nn.Linear;
import io.maskstream.trainer.export.GraphContext;
import io.maskstream.trainer.export.OnnxGraph;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The box head's feature extractor as torchvision's {@code TwoMLPHead}: the pooled RoI features
 * flattened, then {@code fc6} and {@code fc7}, each followed by ReLU. Owns its parameters; outputs
 * are the caller's.
 */
public final class TwoMlpHead extends LayerModule {
  private final Linear fc6;
  private final Linear fc7;

  /** A head from {@code in} flattened features to {@code representation} features. */
  public TwoMlpHead(SplittableRandom random, long in, long representation) {
    this.fc6 = registerModule("fc6", new Linear(random, in, representation));
    this.fc7 = registerModule("fc7", new Linear(random, representation, representation));
  }

  /**
   * {@link #forward} in an exported graph, from the head's own layers.
   *
   * @param name the head's state-dict prefix ({@code roi_heads.box_head})
   * @param pooled the pooled features {@code [K, C, P, P]}
   * @return the representation {@code [K, representation]}
   */
  public String export(GraphContext ctx, String name, String pooled) {
    OnnxGraph g = ctx.graph();
    String x = g.op("Flatten", pooled, attr("axis", 1L));
    x = g.op("Relu", ctx.linear(x, name + ".fc6", fc6));
    return g.op("Relu", ctx.linear(x, name + ".fc7", fc7));
  }

  /** {@code [K, C, P, P]} pooled features to {@code [K, representation]}. */
  @Override
  public Tensor forward(Tensor x) {
    try (Tensor flat = x.flatten(1, -1);
        Tensor a = fc6.forward(flat);
        Tensor b = torch.relu(a);
        Tensor c = fc7.forward(b)) {
      return torch.relu(c);
    }
  }
}
