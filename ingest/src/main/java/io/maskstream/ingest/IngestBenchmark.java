package io.maskstream.ingest;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_core.randu;
import static org.bytedeco.opencv.global.opencv_imgproc.FILLED;
import static org.bytedeco.opencv.global.opencv_imgproc.GaussianBlur;
import static org.bytedeco.opencv.global.opencv_imgproc.rectangle;

import io.maskstream.ingest.IngestConfig.Camera;
import io.maskstream.ingest.metrics.CameraMetrics;
import io.maskstream.ingest.publish.FrameTopic;
import io.maskstream.ingest.publish.KafkaFrameSender;
import io.maskstream.ingest.publish.RecordSender;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.avro.Frame;
import io.maskstream.schemas.cli.KafkaOptions;
import io.maskstream.schemas.cli.UserException;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.FrameRecorder;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code maskstream ingest-benchmark}: measures ingest on synthetic H.264 streams - aggregate
 * decode + JPEG encode + produce rate and process CPU per camera - and prints the figures.
 *
 * <p>It writes {@code --streams} textured clips of {@code --size} to a temporary folder, then runs
 * the real ingest pipeline on them as looping files: {@code --mode throughput} reads them as fast
 * as possible and sends every frame; {@code --mode paced} plays them in real time and samples them
 * to {@code --fps}, like cameras. With {@code --sink kafka} (default) frames go to the frames topic
 * of {@code --bootstrap} ({@code maskstream broker}); {@code --sink none} drops them after
 * encoding, to separate Kafka's share.
 */
@Command(
    name = "ingest-benchmark",
    mixinStandardHelpOptions = true,
    description = "Measures ingest throughput and CPU per camera on synthetic streams.")
public final class IngestBenchmark implements Callable<Integer> {
  /** Where frames go during the benchmark. */
  enum Sink {
    kafka,
    none
  }

  /** How the sources are read. */
  enum Mode {
    throughput,
    paced
  }

  @Option(
      names = "--streams",
      description = "Number of streams (default: ${DEFAULT-VALUE}).",
      defaultValue = "8")
  int streams;

  @Option(
      names = "--size",
      paramLabel = "WxH",
      description = "Frame size (default: ${DEFAULT-VALUE}).",
      defaultValue = "640x480")
  String size;

  @Option(
      names = "--mode",
      description = "throughput or paced (default: ${DEFAULT-VALUE}).",
      defaultValue = "throughput")
  Mode mode;

  @Option(
      names = "--fps",
      description = "Target fps per camera in paced mode (default: ${DEFAULT-VALUE}).",
      defaultValue = "15")
  double fps;

  @Option(
      names = "--source-fps",
      description = "Frame rate of the synthetic clips (default: ${DEFAULT-VALUE}).",
      defaultValue = "30")
  int sourceFps;

  @Option(
      names = "--seconds",
      description = "Measured time after a warm-up (default: ${DEFAULT-VALUE}).",
      defaultValue = "20")
  int seconds;

  @Option(
      names = "--jpeg-quality",
      description = "JPEG quality (default: ${DEFAULT-VALUE}).",
      defaultValue = "85")
  int jpegQuality;

  @Option(
      names = "--sink",
      description = "kafka or none (default: ${DEFAULT-VALUE}).",
      defaultValue = "kafka")
  Sink sink;

  @Mixin KafkaOptions kafka = new KafkaOptions();

  /** Runs the benchmark from the command line. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new IngestBenchmark()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    String[] wh = size.toLowerCase(Locale.ROOT).split("x");
    if (wh.length != 2 || streams < 1 || seconds < 1) {
      throw new UserException("--size must be WxH (e.g. 640x480), --streams and --seconds >= 1");
    }
    int width = Integer.parseInt(wh[0]);
    int height = Integer.parseInt(wh[1]);
    Path dir = Files.createTempDirectory("maskstream-ingest-benchmark");
    try {
      List<Camera> cameras = new ArrayList<>();
      long clipStart = System.nanoTime();
      Path clip = syntheticClip(dir.resolve("clip-" + size + ".mp4"), width, height, sourceFps, 10);
      System.out.printf(
          Locale.ROOT,
          "clip %s %d fps 10 s written in %.1f s (%s)%n",
          size,
          sourceFps,
          (System.nanoTime() - clipStart) / 1e9,
          Files.size(clip) / 1024 + " KiB");
      for (int i = 0; i < streams; i++) {
        // one file per stream so no two grabbers share page-cache reads in lockstep
        Path copy = Files.copy(clip, dir.resolve("stream-" + i + ".mp4"));
        boolean paced = mode == Mode.paced;
        cameras.add(
            new Camera(
                "bench-" + i,
                copy.toString(),
                paced ? fps : 1000,
                0,
                jpegQuality,
                true,
                paced,
                Duration.ofSeconds(5),
                Map.of()));
      }
      IngestConfig config = new IngestConfig(cameras, -1, Duration.ZERO, 4);
      RecordSender sender = sender();
      try (IngestService service = IngestService.start(config, sender)) {
        Thread.sleep(3_000); // warm-up: JIT, decoder start, producer metadata
        long cpu0 = processCpuNanos();
        long wall0 = System.nanoTime();
        long sent0 = sent(service, cameras);
        long grabbed0 = grabbed(service, cameras);
        Thread.sleep(seconds * 1000L);
        long cpu = processCpuNanos() - cpu0;
        double wall = (System.nanoTime() - wall0) / 1e9;
        long sent = sent(service, cameras) - sent0;
        long grabbed = grabbed(service, cameras) - grabbed0;
        double cores = cpu / 1e9 / wall;
        double encodeMs =
            cameras.stream()
                .mapToDouble(c -> service.metrics(c.id()).meanEncodeMillis())
                .average()
                .orElse(0);
        System.out.printf(
            Locale.ROOT,
            "%s %s x%d sink=%s: sent %.1f fps aggregate (%.1f per stream), decoded %.1f fps,"
                + " process CPU %.2f cores (%.1f%% of a core per stream), %.1f sent fps per"
                + " core, encode %.2f ms/frame, %d processors%n",
            mode,
            size,
            streams,
            sink,
            sent / wall,
            sent / wall / streams,
            grabbed / wall,
            cores,
            100 * cores / streams,
            sent / wall / Math.max(1e-9, cores),
            encodeMs,
            Runtime.getRuntime().availableProcessors());
      }
      return 0;
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private RecordSender sender() {
    if (sink == Sink.none) {
      return new DiscardingSender();
    }
    Properties properties = kafka.clientProperties();
    TopicNames names = TopicNames.from(properties);
    FrameTopic.prepare(properties, names, Duration.ofSeconds(30));
    return new KafkaFrameSender(properties, names.frames());
  }

  private static long sent(IngestService service, List<Camera> cameras) {
    return cameras.stream()
        .map(c -> service.metrics(c.id()))
        .mapToLong(CameraMetrics::sentCount)
        .sum();
  }

  private static long grabbed(IngestService service, List<Camera> cameras) {
    return cameras.stream()
        .map(c -> service.metrics(c.id()))
        .mapToLong(CameraMetrics::grabbedCount)
        .sum();
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** Acknowledges every frame at once, dropping it. */
  private static final class DiscardingSender implements RecordSender {
    @Override
    public void send(Frame frame, Consumer<Exception> done) {
      done.accept(null);
    }

    @Override
    public void flush() {}

    @Override
    public void close(Duration timeout) {}
  }

  /**
   * Writes an H.264 clip (MPEG-4 Part 2 if this FFmpeg build has no H.264 encoder): a blurred noise
   * texture panning under a moving square, so JPEG and the decoder see camera-like detail.
   */
  static Path syntheticClip(Path out, int width, int height, int fps, int seconds)
      throws IOException {
    try (Mat texture = new Mat(height + 64, width + 64, CV_8UC3);
        Mat low = new Mat(1, 1, org.bytedeco.opencv.global.opencv_core.CV_64F, new Scalar(0));
        Mat high = new Mat(1, 1, org.bytedeco.opencv.global.opencv_core.CV_64F, new Scalar(255));
        Size kernel = new Size(7, 7);
        OpenCVFrameConverter.ToMat converter = new OpenCVFrameConverter.ToMat()) {
      org.bytedeco.opencv.global.opencv_core.setRNGSeed(42);
      randu(texture, low, high);
      GaussianBlur(texture, texture, kernel, 0);
      try {
        record(out, width, height, fps, seconds, texture, converter, avcodec.AV_CODEC_ID_H264);
      } catch (FrameRecorder.Exception noH264) {
        record(out, width, height, fps, seconds, texture, converter, avcodec.AV_CODEC_ID_MPEG4);
      }
    }
    return out;
  }

  private static void record(
      Path out,
      int width,
      int height,
      int fps,
      int seconds,
      Mat texture,
      OpenCVFrameConverter.ToMat converter,
      int codec)
      throws FrameRecorder.Exception {
    try (FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(out.toFile(), width, height, 0)) {
      recorder.setFormat("mp4");
      recorder.setVideoCodec(codec);
      recorder.setFrameRate(fps);
      recorder.setGopSize(fps * 2);
      recorder.setVideoBitrate(width * height * 4);
      recorder.start();
      for (int i = 0; i < fps * seconds; i++) {
        int dx = i % 64;
        int dy = (i / 2) % 64;
        try (Rect roi = new Rect(dx, dy, width, height);
            Mat view = new Mat(texture, roi);
            Mat frame = view.clone();
            Point a = new Point((i * 5) % (width - 60), height / 3);
            Point b = new Point((i * 5) % (width - 60) + 60, height / 3 + 60);
            Scalar white = new Scalar(255, 255, 255, 0)) {
          rectangle(frame, a, b, white, FILLED, 8, 0);
          recorder.record(converter.convert(frame));
        }
      }
      recorder.stop();
    }
  }
}
