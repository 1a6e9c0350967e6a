package io.maskstream.detector.model;

import io.maskstream.schemas.avro.ModelContract;

/** The input/output convention of a Mask R-CNN ONNX graph. */
public enum GraphContract {
  /**
   * torchvision's export: one float RGB image [3,H,W] in 0..1 (resize and normalisation inside the
   * graph); outputs boxes in image pixels, labels, scores and masks [N,1,H,W] already pasted.
   */
  TORCHVISION,
  /**
   * ONNX Model Zoo MaskRCNN-10/12: BGR 0..255 minus the Caffe means, resized (short side 800, long
   * side at most 1333) and zero-padded to a multiple of 32 outside the graph; boxes in resized
   * pixels; masks [N,1,28,28] that the caller pastes.
   */
  ONNX_ZOO,
  /** maskstream's trainer exports: torchvision's convention, class names in the metadata. */
  MASKSTREAM;

  /**
   * Whether graphs of this contract and {@code other} take the same input and give the same
   * outputs: the trainer's exports follow torchvision's convention, ONNX Model Zoo graphs their
   * own.
   */
  public boolean sameInputsAndOutputs(GraphContract other) {
    return (this == ONNX_ZOO) == (other == ONNX_ZOO);
  }

  /** The wire form used in model announcements. */
  public ModelContract toAvro() {
    return ModelContract.valueOf(name());
  }

  /**
   * Parses a command-line spelling: {@code torchvision}, {@code onnx-zoo} or {@code maskstream}.
   *
   * @throws IllegalArgumentException for anything else
   */
  public static GraphContract parse(String text) {
    String t = text.trim().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    return switch (t) {
      case "torchvision" -> TORCHVISION;
      case "onnx-zoo", "zoo" -> ONNX_ZOO;
      case "maskstream" -> MASKSTREAM;
      default ->
          throw new IllegalArgumentException(
              "unknown contract '" + text + "': use torchvision, onnx-zoo or maskstream");
    };
  }
}
