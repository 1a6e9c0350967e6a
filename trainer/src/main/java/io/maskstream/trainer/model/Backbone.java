package io.maskstream.trainer.model;

import io.maskstream.trainer.engine.Module;
import io.maskstream.trainer.export.GraphContext;
import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;

/**
 * A ResNet body with a feature pyramid on its four stages, as torchvision's {@code BackboneWithFPN}
 * ({@code body.*}, {@code fpn.*} parameter names): images in, pyramid levels P2..P5 and the pooled
 * P6 out. Owns its parameters; outputs are the caller's.
 */
public final class Backbone extends Module {
  private final ResNetBody body;
  private final FeaturePyramid fpn;
  private final long channels;

  /** A backbone of {@code body} and a pyramid {@code channels} wide. */
  public Backbone(SplittableRandom random, ResNetBody body, long channels) {
    this.body = registerModule("body", body);
    this.fpn = registerModule("fpn", new FeaturePyramid(random, body.widths(), channels));
    this.channels = channels;
  }

  /** The {@code tiny} preset's backbone: the tiny body and a 64-channel pyramid. */
  public static Backbone tiny(SplittableRandom random) {
    return new Backbone(random, ResNetBody.tiny(random), 64);
  }

  /**
   * torchvision's {@code resnet_fpn_backbone('resnet18')}: frozen normalisation, 256 channels, the
   * stem and stage 1 frozen (three trainable layers).
   */
  public static Backbone resnet18Fpn(SplittableRandom random) {
    ResNetBody body = ResNetBody.resnet18(random);
    body.trainOnlyLast(3);
    return new Backbone(random, body, 256);
  }

  /**
   * torchvision's {@code resnet_fpn_backbone('resnet50')} as {@code maskrcnn_resnet50_fpn} builds
   * it: frozen normalisation, 256 channels, the stem and stage 1 frozen (three trainable layers).
   */
  public static Backbone resnet50Fpn(SplittableRandom random) {
    ResNetBody body = ResNetBody.resnet50(random);
    body.trainOnlyLast(3);
    return new Backbone(random, body, 256);
  }

  /** The channels of every pyramid level. */
  public long channels() {
    return channels;
  }

  /** The pyramid levels P2..P6 of {@code images [B, 3, H, W]}; the caller closes them. */
  public List<Tensor> forward(Tensor images) {
    List<Tensor> stages = body.forward(images);
    try {
      return fpn.forward(stages);
    } finally {
      stages.forEach(Tensor::close);
    }
  }

  /**
   * {@link #forward} in an exported graph, for one image: the body's and the pyramid's own exports.
   *
   * @param name the backbone's state-dict prefix ({@code backbone})
   * @param images the normalised, padded batch {@code [1, 3, H, W]}
   * @return the pyramid levels P2..P6
   */
  public List<String> export(GraphContext ctx, String name, String images) {
    return fpn.export(ctx, name + ".fpn", body.export(ctx, name + ".body", images));
  }
}
