package io.maskstream.trainer.model;

import io.maskstream.trainer.engine.Module;
import io.maskstream.trainer.engine.nn.Linear;
import io.maskstream.trainer.export.GraphContext;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;

/**
 * The box head's outputs as torchvision's {@code FastRCNNPredictor}: class logits ({@code
 * cls_score}) and per-class box deltas ({@code bbox_pred}). Owns its parameters; outputs are the
 * caller's.
 */
public final class FastRcnnPredictor extends Module {
  private final Linear classes;
  private final Linear boxes;

  /** A predictor from {@code in} features to {@code numClasses} classes (background included). */
  public FastRcnnPredictor(SplittableRandom random, long in, long numClasses) {
    this.classes = registerModule("cls_score", new Linear(random, in, numClasses));
    this.boxes = registerModule("bbox_pred", new Linear(random, in, numClasses * 4));
  }

  /** The number of classes, background included. */
  public long numClasses() {
    return classes.weight().size(0);
  }

  /**
   * {@link #forward} in an exported graph, from the predictor's own layers.
   *
   * @param name the predictor's state-dict prefix ({@code roi_heads.box_predictor})
   * @param x the box head's representation {@code [K, in]}
   * @return the class logits {@code [K, C]} and the deltas {@code [K, 4C]}
   */
  public String[] export(GraphContext ctx, String name, String x) {
    return new String[] {
      ctx.linear(x, name + ".cls_score", classes), ctx.linear(x, name + ".bbox_pred", boxes)
    };
  }

  /** Class logits {@code [K, C]} and deltas {@code [K, 4C]}; the caller closes both. */
  public Losses.Pair forward(Tensor x) {
    return new Losses.Pair(classes.forward(x), boxes.forward(x));
  }
}
