package io.maskstream.trainer.train;

import io.maskstream.schemas.cli.UserException;
import io.maskstream.trainer.model.InputTransform;
import io.maskstream.trainer.model.MaskRcnn;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/** The networks {@code maskstream train --preset} builds. */
public enum Preset {
  /** A small ResNet with a 64-channel pyramid at 256 px, for CPUs. */
  TINY("tiny"),
  /** torchvision's Mask R-CNN on a ResNet-18 FPN backbone, at 800 px. */
  R18_FPN("r18-fpn"),
  /** torchvision's {@code maskrcnn_resnet50_fpn}: its Mask R-CNN on a ResNet-50 FPN, at 800 px. */
  R50_FPN("r50-fpn");

  private final String label;

  Preset(String label) {
    this.label = label;
  }

  /** The command-line spelling. */
  public String label() {
    return label;
  }

  @Override
  public String toString() {
    return label;
  }

  /**
   * The preset a command-line spelling names.
   *
   * @throws UserException for an unknown name
   */
  public static Preset parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT).replace('_', '-');
    for (Preset p : values()) {
      if (p.label.equals(t)) {
        return p;
      }
    }
    throw new UserException("unknown preset '" + text + "': use tiny, r18-fpn or r50-fpn");
  }

  /**
   * A new, randomly initialised network of this preset for {@code numClasses} classes (background
   * included); the caller closes it.
   */
  public MaskRcnn create(SplittableRandom random, long numClasses) {
    return create(random, numClasses, transform());
  }

  /**
   * A new, randomly initialised network of this preset for {@code numClasses} classes (background
   * included) that resizes its input by {@code transform}; the caller closes it.
   */
  public MaskRcnn create(SplittableRandom random, long numClasses, InputTransform transform) {
    return create(random, numClasses, transform, MaskRcnn.Branches.MASKS);
  }

  /**
   * A new, randomly initialised network of this preset with the given branches (a keypoint head
   * when {@code branches} names keypoints); the caller closes it.
   */
  public MaskRcnn create(
      SplittableRandom random,
      long numClasses,
      InputTransform transform,
      MaskRcnn.Branches branches) {
    return switch (this) {
      case TINY -> MaskRcnn.tiny(random, numClasses, transform, branches);
      case R18_FPN -> MaskRcnn.resnet18Fpn(random, numClasses, transform, branches);
      case R50_FPN -> MaskRcnn.resnet50Fpn(random, numClasses, transform, branches);
    };
  }

  /**
   * The preset's input transform: short side 256 and long side at most 512 for {@code tiny},
   * torchvision's 800 and 1333 for the others.
   */
  public InputTransform transform() {
    return this == TINY ? MaskRcnn.TINY_INPUT : MaskRcnn.FPN_INPUT;
  }

  /**
   * The transforms for training at the short sides {@code minSizes} (the preset's own when empty),
   * each with the preset's long-side limit.
   *
   * @throws UserException for a size below 32 or above the long-side limit
   */
  public List<InputTransform> trainingSizes(List<Integer> minSizes) {
    InputTransform own = transform();
    if (minSizes.isEmpty()) {
      return List.of(own);
    }
    List<InputTransform> out = new ArrayList<>();
    for (int size : minSizes) {
      if (size < 32 || size > own.maxSize()) {
        throw new UserException(
            "--min-size "
                + size
                + " is outside 32.."
                + own.maxSize()
                + " (the "
                + label
                + " preset's long-side limit): give short-side sizes in that range");
      }
      out.add(own.withMinSize(size));
    }
    return List.copyOf(out);
  }
}
