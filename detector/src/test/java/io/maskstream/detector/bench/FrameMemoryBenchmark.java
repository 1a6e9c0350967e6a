package io.maskstream.detector.bench;

import io.maskstream.detector.DetectorConfig;
import io.maskstream.detector.Fixtures;
import io.maskstream.detector.Segmentation;
import io.maskstream.detector.TestImages;
import io.maskstream.detector.image.FrameLimits;
import io.maskstream.detector.model.Device;
import io.maskstream.detector.model.ModelSegmenter;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Peak resident memory of the detector's decode + model + post-processing per frame size, with the
 * frame limits ({@code --max-input-size 1333}, the default) and without them (every frame at its
 * own size), each size in a JVM of its own so that one measurement cannot inherit another's heap.
 * The frames are JPEGs tiled with the fixture's shapes images, so the fixture model (a torchvision
 * export that pastes its masks in the graph) finds as many objects as it reports (score threshold
 * 0). Prints one line per size and mode; no assertions.
 *
 * <pre>
 * FrameMemoryBenchmark [THREADS] [SIZES...]    e.g. 2 640x480 1920x1080 3840x2160 8000x6000
 * </pre>
 */
public final class FrameMemoryBenchmark {
  private static final String[] DEFAULT_SIZES = {"640x480", "1920x1080", "3840x2160", "8000x6000"};

  /** Frames each child runs; the peak is over all of them. */
  private static final int RUNS = 3;

  /** Runs without limits above this many pixels are not started (the default frame limit). */
  private static final long UNBOUNDED_MAX_PIXELS = FrameLimits.DEFAULT_MAX_FRAME_PIXELS;

  private FrameMemoryBenchmark() {}

  /** Runs every size in both modes, each in a child JVM. */
  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--child")) {
      child(args[1], Integer.parseInt(args[2]), Boolean.parseBoolean(args[3]));
      return;
    }
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    String[] sizes =
        args.length > 1 ? java.util.Arrays.copyOfRange(args, 1, args.length) : DEFAULT_SIZES;
    System.out.printf(
        Locale.ROOT,
        "%-10s %-9s %10s %11s %11s %10s %9s%n",
        "frame",
        "limits",
        "jpeg KB",
        "detections",
        "base MB",
        "peak MB",
        "ms/frame");
    for (String size : sizes) {
      for (boolean bounded : new boolean[] {true, false}) {
        int[] wh = parse(size);
        if (!bounded && (long) wh[0] * wh[1] > UNBOUNDED_MAX_PIXELS) {
          System.out.printf(
              Locale.ROOT, "%-10s %-9s not run: over the default frame limit%n", size, "none");
          continue;
        }
        for (String line : runChild(size, threads, bounded)) {
          System.out.println(line);
        }
      }
    }
  }

  private static List<String> runChild(String size, int threads, boolean bounded)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(FrameMemoryBenchmark.class.getName());
    command.add("--child");
    command.add(size);
    command.add(Integer.toString(threads));
    command.add(Boolean.toString(bounded));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    List<String> out = new ArrayList<>();
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.startsWith("RESULT ")) {
          out.add(line.substring(7));
        }
      }
    }
    int code = p.waitFor();
    if (code != 0) {
      out.add(size + " " + (bounded ? "default" : "none") + " child exited with " + code);
    }
    return out;
  }

  private static void child(String size, int threads, boolean bounded) throws Exception {
    int[] wh = parse(size);
    byte[] jpeg = TestImages.tiledJpeg(wh[0], wh[1]);
    FrameLimits limits =
        bounded ? FrameLimits.DEFAULTS : new FrameLimits(Integer.MAX_VALUE, Long.MAX_VALUE);
    DetectorConfig config =
        DetectorConfig.builder()
            .model(Fixtures.model())
            .device(Device.CPU)
            .intraOpThreads(threads)
            .scoreThreshold(0f)
            .frameLimits(limits)
            .build();
    try (ModelSegmenter segmenter = ModelSegmenter.open(config)) {
      System.gc();
      resetPeak();
      long base = status("VmHWM:");
      int detections = 0;
      long t0 = System.nanoTime();
      for (int i = 0; i < RUNS; i++) {
        Segmentation s = segmenter.segment(jpeg);
        detections = s.instances().size();
      }
      double ms = (System.nanoTime() - t0) / 1e6 / RUNS;
      long peak = status("VmHWM:");
      System.out.printf(
          Locale.ROOT,
          "RESULT %-10s %-9s %10d %11d %11d %10d %9.0f%n",
          size,
          bounded ? "default" : "none",
          jpeg.length / 1024,
          detections,
          base / 1024,
          peak / 1024,
          ms);
    }
  }

  private static int[] parse(String size) {
    String[] p = size.split("x");
    return new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1])};
  }

  /** Resets the kernel's peak-RSS mark of this process to its current RSS. */
  private static void resetPeak() throws IOException {
    Files.writeString(Path.of("/proc/self/clear_refs"), "5");
  }

  /** A kB figure of /proc/self/status. */
  private static long status(String key) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith(key)) {
        return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
      }
    }
    throw new IllegalStateException(key + " not in /proc/self/status");
  }
}
