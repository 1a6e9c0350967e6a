package io.maskstream.launcher;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code maskstream train}: trains Mask R-CNN and exports ONNX. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = "Trains Mask R-CNN on a COCO dataset and exports an ONNX model.")
final class TrainCommand implements Callable<Integer> {
  /** Network presets. */
  enum Preset {
    tiny("tiny"),
    r18fpn("r18-fpn"),
    r50fpn("r50-fpn");

    final String label;

    Preset(String label) {
      this.label = label;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  @Option(names = "--data", paramLabel = "DIR", required = true, description = "The dataset.")
  Path data;

  @Option(names = "--out", paramLabel = "model.onnx", required = true, description = "Output.")
  Path out;

  @Option(
      names = "--preset",
      defaultValue = "tiny",
      converter = PresetConverter.class,
      description = "tiny, r18-fpn or r50-fpn (default: ${DEFAULT-VALUE}).")
  Preset preset;

  @Option(names = "--init", paramLabel = "WEIGHTS", description = "Initial weights.")
  Path init;

  @ArgGroup(exclusive = true)
  Budget budget;

  static final class Budget {
    @Option(names = "--minutes", paramLabel = "N", description = "Train for N minutes.")
    Double minutes;

    @Option(names = "--iterations", paramLabel = "N", description = "Train for N iterations.")
    Integer iterations;
  }

  static final class PresetConverter implements picocli.CommandLine.ITypeConverter<Preset> {
    @Override
    public Preset convert(String value) {
      for (Preset p : Preset.values()) {
        if (p.label.equals(value)) {
          return p;
        }
      }
      throw new picocli.CommandLine.TypeConversionException(
          "unknown preset '" + value + "': use tiny, r18-fpn or r50-fpn");
    }
  }

  @Override
  public Integer call() {
    return Unavailable.command(
        "train", "the Mask R-CNN model is in place, its training loop and ONNX export are not");
  }
}
