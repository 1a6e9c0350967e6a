package io.maskstream.trainer.model;

import io.maskstream.trainer.engine.LayerModule;
import io.maskstream.trainer.engine.nn.Conv2d;
import io.maskstream.trainer.engine.nn.Relu;
import io.maskstream.trainer.engine.nn.Sequential;
import io.maskstream.trainer.export.GraphContext;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;

/**
 * The mask branch's convolutions as torchvision's {@code MaskRCNNHeads}: 3x3 convolutions, each
 * followed by ReLU, named {@code 0.0.weight}, {@code 1.0.weight}, ...; weights {@code
 * kaiming_normal_(fan_out)}, biases 0. Owns its parameters; outputs are the caller's.
 */
public final class MaskHead extends LayerModule {
  private final List<Sequential> blocks = new ArrayList<>();

  /** Convolutions from {@code in} channels through each of {@code widths}. */
  public MaskHead(SplittableRandom random, long in, long... widths) {
    long channels = in;
    for (int i = 0; i < widths.length; i++) {
      Sequential block =
          new Sequential()
              .add(Conv2d.kaimingFanOut(random, channels, widths[i], 3, 1, 1))
              .add(new Relu());
      registerModule(Integer.toString(i), block);
      blocks.add(block);
      channels = widths[i];
    }
  }

  /**
   * {@link #forward} in an exported graph, from the head's own convolutions.
   *
   * @param name the head's state-dict prefix ({@code roi_heads.mask_head})
   * @param pooled the pooled features {@code [K, C, S, S]}
   * @return the features {@code [K, last width, S, S]}
   */
  public String export(GraphContext ctx, String name, String pooled) {
    String x = pooled;
    for (int i = 0; i < blocks.size(); i++) {
      Conv2d conv = (Conv2d) blocks.get(i).get(0);
      x = ctx.graph().op("Relu", ctx.conv(x, name + "." + i + ".0", conv));
    }
    return x;
  }

  @Override
  public Tensor forward(Tensor x) {
    Tensor current = x;
    for (Sequential block : blocks) {
      Tensor next = block.forward(current);
      if (current != x) {
        current.close();
      }
      current = next;
    }
    return current == x ? x.clone() : current;
  }
}
