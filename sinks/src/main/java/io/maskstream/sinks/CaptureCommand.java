package io.maskstream.sinks;

import io.maskstream.schemas.cli.KafkaOptions;
import io.maskstream.schemas.cli.UserException;
import io.maskstream.schemas.rle.CocoRle;
import io.maskstream.sinks.capture.CaptureSettings;
import io.maskstream.sinks.capture.FrameCapture;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code maskstream capture}: frames worth labelling, with the serving model's predictions as
 * pre-annotations, into a COCO dataset folder.
 *
 * <p>It lives with the sinks because it is one: a consumer of the frames and event topics that
 * joins a frame with its detections and masks, which is what the sinks' {@link
 * io.maskstream.sinks.join.EventJoiner} already does for the web view and JSON lines; the detector
 * stays a pure frames-to-events stream, and the trainer only reads datasets from disk. The one
 * thing it needs from elsewhere, turning masks into polygons with OpenCV for {@code --polygons}, is
 * handed in by the launcher (the sinks carry no native image library).
 */
@Command(
    name = "capture",
    mixinStandardHelpOptions = true,
    description =
        "Samples the frames worth labelling (the serving model unsure, detections that flicker)"
            + " into a COCO dataset folder with the model's predictions as pre-annotations.")
public final class CaptureCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin KafkaOptions kafka;

  @Option(
      names = "--camera",
      paramLabel = "ID",
      required = true,
      description = "A camera whose frames are considered (repeat for more).")
  List<String> cameras;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      required = true,
      description =
          "Dataset folder: annotations.json and images/; an existing dataset there is continued.")
  Path out;

  @Option(
      names = "--every",
      paramLabel = "DURATION",
      defaultValue = "2s",
      description =
          "At most one frame per camera per this interval of capture time"
              + " (default: ${DEFAULT-VALUE}; 0s for no limit).")
  String every;

  @Option(
      names = "--unsure",
      paramLabel = "LOW,HIGH",
      defaultValue = "0.3,0.6",
      description =
          "A detection scored in this band makes its frame worth labelling"
              + " (default: ${DEFAULT-VALUE}).")
  String unsure;

  @Option(
      names = "--no-flicker",
      description =
          "Do not keep frames for detections with no same-class match (box IoU >= 0.5) in the"
              + " previous or next frame of the camera.")
  boolean noFlicker;

  @Option(
      names = "--all",
      description = "Also keep frames with no such reason, as samples at the --every rate.")
  boolean all;

  @Option(
      names = "--dedup-distance",
      paramLabel = "BITS",
      defaultValue = "6",
      description =
          "Skip a frame whose 64-bit difference hash is within this many bits of a frame of the"
              + " same camera already in the dataset (default: ${DEFAULT-VALUE}; -1 off).")
  int dedupDistance;

  @Option(
      names = "--max-frames",
      paramLabel = "N",
      defaultValue = "500",
      description = "Stop after keeping N frames (default: ${DEFAULT-VALUE}).")
  int maxFrames;

  @Option(
      names = "--max-size",
      paramLabel = "SIZE",
      defaultValue = "500MB",
      description =
          "Stop before the image bytes written would exceed SIZE (default: ${DEFAULT-VALUE};"
              + " B, KB, MB, GB).")
  String maxSize;

  @Option(
      names = "--duration",
      paramLabel = "DURATION",
      description = "Stop after this long (e.g. 10m; default: until a bound or Ctrl-C).")
  String duration;

  @Option(
      names = "--from-beginning",
      description = "Read the topics from their beginning (default: frames from now on).")
  boolean fromBeginning;

  @Option(
      names = "--since",
      paramLabel = "DURATION|TIME",
      description = "Read from this long ago (e.g. 30m) or this time (e.g. 2026-12-02T15:00:00Z).")
  String since;

  @Option(
      names = "--polygons",
      description =
          "Write masks as polygons (OpenCV contours) instead of COCO RLE, for tools that import"
              + " only polygons (Label Studio's converter).")
  boolean polygons;

  @Option(
      names = "--join-timeout",
      paramLabel = "DURATION",
      defaultValue = "10s",
      description =
          "How long detections wait for their masks before they are dropped"
              + " (default: ${DEFAULT-VALUE}).")
  String joinTimeout;

  private final Function<CocoRle, List<double[]>> maskPolygons;

  /** The command without {@code --polygons}. */
  public CaptureCommand() {
    this(null);
  }

  /** The command with {@code maskPolygons} turning a mask into polygons for {@code --polygons}. */
  public CaptureCommand(Function<CocoRle, List<double[]>> maskPolygons) {
    this.maskPolygons = maskPolygons;
  }

  @Override
  public Integer call() throws Exception {
    FrameCapture capture = capture();
    return SinkCommand.runUntilStopped(capture);
  }

  /** The capture the options describe. */
  FrameCapture capture() {
    if (fromBeginning && since != null) {
      throw new UserException("give --from-beginning or --since, not both");
    }
    double[] band = band(unsure);
    CaptureSettings.Start start =
        fromBeginning
            ? CaptureSettings.Start.beginning()
            : since != null
                ? CaptureSettings.Start.since(since(since))
                : CaptureSettings.Start.now();
    CaptureSettings settings =
        SinkCommand.valid(
            () ->
                new CaptureSettings(
                    new LinkedHashSet<>(cameras),
                    out,
                    SinkCommand.parseDuration("--every", every),
                    band[0],
                    band[1],
                    !noFlicker,
                    all,
                    dedupDistance,
                    maxFrames,
                    SinkCommand.parseSize("--max-size", maxSize),
                    duration == null ? null : SinkCommand.parseDuration("--duration", duration),
                    start,
                    polygons));
    SinkConfig config =
        SinkCommand.valid(
            () ->
                SinkConfig.of(kafka.clientProperties(), "maskstream-capture", -1)
                    .withJoinTimeout(SinkCommand.parseDuration("--join-timeout", joinTimeout)));
    return new FrameCapture(settings, config, spec.commandLine().getOut(), maskPolygons);
  }

  private static double[] band(String text) {
    String[] parts = text.split(",");
    try {
      if (parts.length == 2) {
        double low = Double.parseDouble(parts[0].trim());
        double high = Double.parseDouble(parts[1].trim());
        if (low >= 0 && low <= high && high <= 1) {
          return new double[] {low, high};
        }
      }
    } catch (NumberFormatException e) {
      // falls through to the message below
    }
    throw new UserException(
        "--unsure '"
            + text
            + "' is not a score band: write LOW,HIGH with 0 <= LOW <= HIGH <= 1,"
            + " e.g. 0.3,0.6");
  }

  private static Instant since(String text) {
    try {
      return Instant.parse(text.trim());
    } catch (DateTimeParseException e) {
      // not an instant with Z
    }
    try {
      return OffsetDateTime.parse(text.trim()).toInstant();
    } catch (DateTimeParseException e) {
      // not a time with an offset: a duration ago
    }
    Duration ago;
    try {
      ago = SinkCommand.parseDuration("--since", text);
    } catch (UserException e) {
      throw new UserException(
          "--since '"
              + text
              + "' is neither a duration (e.g. 30m) nor a time (e.g. 2026-12-02T15:00:00Z)");
    }
    return Instant.now().minus(ago);
  }
}
