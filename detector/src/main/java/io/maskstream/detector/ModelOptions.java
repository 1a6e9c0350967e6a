package io.maskstream.detector;

import io.maskstream.detector.image.FrameLimits;
import io.maskstream.detector.model.Device;
import io.maskstream.detector.model.GraphContract;
import io.maskstream.schemas.cli.UserException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Command-line options that say which model to run and how, down to the scores it reports: a
 * picocli mixin shared by {@code detect} and {@code infer}.
 */
public final class ModelOptions {
  @Option(
      names = "--model",
      paramLabel = "FILE.onnx",
      required = true,
      description = "The Mask R-CNN ONNX model.")
  Path model;

  @Option(
      names = "--labels",
      paramLabel = "FILE",
      description =
          "Class names, one per line (line 0 = background). Default: the model's metadata, else"
              + " COCO.")
  Path labels;

  @Option(
      names = "--device",
      paramLabel = "DEVICE",
      defaultValue = "auto",
      description = "cpu, cuda or auto (default: ${DEFAULT-VALUE}); CUDA falls back to the CPU.")
  String device;

  @Option(
      names = "--contract",
      paramLabel = "CONTRACT",
      description =
          "torchvision, onnx-zoo or maskstream (default: recognised from the graph and metadata).")
  String contract;

  @Option(
      names = "--intra-op-threads",
      paramLabel = "N",
      defaultValue = "0",
      description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE} = all cores).")
  int intraOpThreads;

  @Option(
      names = "--top-k",
      paramLabel = "K",
      defaultValue = "100",
      description =
          "At most K detections per image (default: ${DEFAULT-VALUE}, torchvision's"
              + " detections per image).")
  int topK;

  @Option(
      names = "--mask-threshold",
      paramLabel = "P",
      defaultValue = "0.5",
      description = "Mask probability threshold (default: ${DEFAULT-VALUE}).")
  float maskThreshold;

  @Option(
      names = "--max-input-size",
      paramLabel = "PX",
      defaultValue = "" + FrameLimits.DEFAULT_MAX_INPUT_SIDE,
      description =
          "Frames whose longer side is larger are downscaled to it before the model runs; results"
              + " are mapped back to the frame's size (default: ${DEFAULT-VALUE}).")
  int maxInputSize;

  @Option(
      names = "--max-frame-megapixels",
      paramLabel = "MP",
      defaultValue = "64",
      description =
          "Frames with more pixels are refused (dead letter) before they are decoded (default:"
              + " ${DEFAULT-VALUE}).")
  double maxFrameMegapixels;

  /**
   * Applies these options to a configuration builder.
   *
   * @param scoreThreshold the command's {@code --score-threshold}, each command having its default
   * @throws UserException for a missing model or labels file, an unknown device or contract, or a
   *     threshold out of range
   */
  DetectorConfig.Builder applyTo(DetectorConfig.Builder builder, float scoreThreshold) {
    if (!(scoreThreshold >= 0 && scoreThreshold <= 1)) {
      throw new UserException("--score-threshold must be in [0, 1]");
    }
    if (!Files.isRegularFile(model)) {
      throw new UserException("--model " + model + " does not exist: give a .onnx file");
    }
    if (labels != null && !Files.isRegularFile(labels)) {
      throw new UserException("--labels " + labels + " does not exist");
    }
    Device d =
        switch (device.trim().toLowerCase(java.util.Locale.ROOT)) {
          case "cpu" -> Device.CPU;
          case "cuda", "gpu" -> Device.CUDA;
          case "auto" -> Device.AUTO;
          default -> throw new UserException("--device " + device + ": use cpu, cuda or auto");
        };
    GraphContract c;
    try {
      c = contract == null ? null : GraphContract.parse(contract);
    } catch (IllegalArgumentException e) {
      throw new UserException("--contract " + e.getMessage());
    }
    if (topK < 1) {
      throw new UserException("--top-k must be at least 1");
    }
    if (!(maskThreshold >= 0 && maskThreshold < 1)) {
      throw new UserException("--mask-threshold must be in [0, 1)");
    }
    if (intraOpThreads < 0) {
      throw new UserException("--intra-op-threads must be >= 0");
    }
    if (maxInputSize < 32) {
      throw new UserException("--max-input-size must be at least 32 pixels");
    }
    if (!(maxFrameMegapixels > 0 && maxFrameMegapixels <= 1e6)) {
      throw new UserException("--max-frame-megapixels must be above 0 (e.g. 64)");
    }
    return builder
        .model(model)
        .labels(labels)
        .device(d)
        .contract(c)
        .intraOpThreads(intraOpThreads)
        .topK(topK)
        .scoreThreshold(scoreThreshold)
        .maskThreshold(maskThreshold)
        .frameLimits(new FrameLimits(maxInputSize, Math.round(maxFrameMegapixels * 1e6)));
  }
}
