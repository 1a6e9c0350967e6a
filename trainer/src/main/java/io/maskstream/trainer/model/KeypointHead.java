package io.maskstream.trainer.model;

import io.maskstream.trainer.engine.LayerModule;
import io.maskstream.trainer.engine.nn.Conv2d;
import io.maskstream.trainer.export.GraphContext;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The keypoint branch's convolutions as torchvision's {@code KeypointRCNNHeads}: 3x3 convolutions
 * (padding 1), each followed by ReLU, as one {@code nn.Sequential} whose convolutions sit at the
 * even positions ({@code 0.weight}, {@code 2.weight}, ...); weights {@code
 * kaiming_normal_(fan_out)}, biases 0. torchvision's keypoint R-CNN uses eight of 512 channels.
 * Owns its parameters; outputs are the caller's.
 */
public final class KeypointHead extends LayerModule {
  private final List<Conv2d> convolutions = new ArrayList<>();

  /** Convolutions from {@code in} channels through each of {@code widths}. */
  public KeypointHead(SplittableRandom random, long in, long... widths) {
    long channels = in;
    for (int i = 0; i < widths.length; i++) {
      convolutions.add(
          registerModule(
              Integer.toString(2 * i), Conv2d.kaimingFanOut(random, channels, widths[i], 3, 1, 1)));
      channels = widths[i];
    }
  }

  /**
   * {@link #forward} in an exported graph, from the head's own convolutions.
   *
   * @param name the head's state-dict prefix ({@code roi_heads.keypoint_head})
   * @param pooled the pooled features {@code [R, in, S, S]}
   */
  public String export(GraphContext ctx, String name, String pooled) {
    String x = pooled;
    for (int i = 0; i < convolutions.size(); i++) {
      x = ctx.graph().op("Relu", ctx.conv(x, name + "." + 2 * i, convolutions.get(i)));
    }
    return x;
  }

  /** {@code [R, in, S, S]} to {@code [R, widths[last], S, S]}. */
  @Override
  public Tensor forward(Tensor x) {
    Tensor current = x;
    for (Conv2d conv : convolutions) {
      Tensor convolved = conv.forward(current);
      if (current != x) {
        current.close();
      }
      current = torch.relu(convolved);
      convolved.close();
    }
    return current == x ? x.clone() : current;
  }
}
