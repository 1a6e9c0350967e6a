package io.maskstream.ingest.source;

import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imread;

import io.maskstream.ingest.IngestConfig.Camera;
import io.maskstream.ingest.metrics.CameraMetrics;
import io.maskstream.ingest.metrics.CameraMetrics.DropReason;
import io.maskstream.ingest.metrics.CameraState;
import io.maskstream.ingest.publish.FrameSink;
import io.maskstream.schemas.CameraUrls;
import io.maskstream.schemas.Topics;
import io.maskstream.schemas.avro.Frame;
import io.maskstream.schemas.avro.ImageEncoding;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.bytedeco.opencv.opencv_core.Mat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one camera on its own thread: opens the source with a fresh {@link FfmpegVideoReader} (or
 * reads an image folder), samples frames to the target rate by presentation time, downscales and
 * JPEG-encodes each sampled frame before the next read (the reader reuses picture memory) and hands
 * it to a {@link FrameSink}. Any failure or end of a live stream closes the reader and reopens the
 * source after a jittered exponential backoff, forever, until {@link #stop()}. Opening, probing and
 * each read have a wall-clock limit, so a source that sends data FFmpeg never makes a picture of is
 * reconnected too.
 *
 * <p>The worker owns its reader and encoder; they are closed when a connection ends and when the
 * thread exits. Sequence numbers continue across reconnects.
 */
public final class CameraWorker implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(CameraWorker.class);

  /**
   * Time allowed for probing a stream on top of the read timeout: twice FFmpeg's default analysis
   * duration, so a source that delivers in real time always completes its probe. A source that
   * sends data but is still not identified by then is abandoned and reconnected.
   */
  public static final Duration PROBE_ALLOWANCE = Duration.ofSeconds(10);

  /** Room left in a frame record for the Avro fields other than the image. */
  private static final int RECORD_OVERHEAD = 1024;

  private static final Set<String> IMAGE_EXTENSIONS =
      Set.of("jpg", "jpeg", "png", "bmp", "webp", "tif", "tiff", "ppm", "pgm", "pnm");

  private final Camera camera;
  private final SourceKind kind;
  private final FrameSink sink;
  private final CameraMetrics metrics;
  private final Backoff backoff;
  private final FrameSampler sampler;
  private final AtomicLong sequence;
  private final CountDownLatch stopSignal = new CountDownLatch(1);
  private final int maxImageBytes;
  private volatile boolean running = true;
  private volatile FfmpegVideoReader current;
  private boolean ignoredOptionsLogged;
  private String endReason;
  private String lastProblem;
  private boolean oversizeLogged;

  /**
   * A worker for {@code camera}.
   *
   * @param backoff reconnect delays (owned by this worker)
   * @param maxRecordBytes largest record the frames topic takes
   * @param firstSequence the sequence number of the first frame
   */
  public CameraWorker(
      Camera camera,
      FrameSink sink,
      CameraMetrics metrics,
      Backoff backoff,
      int maxRecordBytes,
      long firstSequence) {
    this.sequence = new AtomicLong(firstSequence);
    this.camera = camera;
    this.kind = SourceKind.of(camera.url());
    this.sink = sink;
    this.metrics = metrics;
    this.backoff = backoff;
    this.sampler = new FrameSampler(camera.fps());
    this.maxImageBytes = maxRecordBytes - RECORD_OVERHEAD;
  }

  /**
   * A worker with the default backoff (0.5 s doubling to 30 s) and frame size limit whose first
   * frame has sequence number {@code firstSequence}.
   */
  public static CameraWorker create(
      Camera camera, FrameSink sink, CameraMetrics metrics, long firstSequence) {
    return new CameraWorker(
        camera,
        sink,
        metrics,
        new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30), new Random()),
        Topics.MAX_FRAME_BYTES,
        firstSequence);
  }

  /** The kind of source this worker reads. */
  public SourceKind kind() {
    return kind;
  }

  /** Asks the worker to stop; a blocked read or probe is abandoned at once. */
  public void stop() {
    running = false;
    stopSignal.countDown();
    FfmpegVideoReader reader = current;
    if (reader != null) {
      reader.abort();
    }
  }

  @Override
  public void run() {
    try {
      loop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (metrics.state() != CameraState.FINISHED) {
        metrics.state(CameraState.STOPPED);
      }
    }
  }

  private void loop() throws InterruptedException {
    LOG.info(
        "camera {}: {} source {} at {} fps{}",
        camera.id(),
        kind.name().toLowerCase(Locale.ROOT),
        CameraUrls.mask(camera.url()),
        camera.fps(),
        camera.maxWidth() > 0 ? ", max width " + camera.maxWidth() : "");
    boolean firstAttempt = true;
    boolean looping = false;
    while (running) {
      if (!firstAttempt && !looping) {
        metrics.reconnect();
      }
      firstAttempt = false;
      if (!looping) {
        metrics.state(CameraState.CONNECTING);
      }
      looping = false;
      long sent;
      String problem;
      endReason = null;
      try {
        sent = kind == SourceKind.IMAGE_FOLDER ? readFolder() : readStream();
        if (!running) {
          return;
        }
        if (!kind.live() && !camera.loop() && sent > 0) {
          metrics.state(CameraState.FINISHED);
          LOG.info(
              "camera {}: end of {} after {} frames",
              camera.id(),
              CameraUrls.mask(camera.url()),
              sequence.get());
          return;
        }
        if (!kind.live() && sent > 0) {
          backoff.reset();
          lastProblem = null;
          looping = true;
          continue; // the next pass of a looping file: same state, not a reconnect
        }
        String why = endReason == null ? "" : " (" + endReason + ")";
        problem = (sent > 0 ? "the stream ended" : "the source delivered no frame") + why;
      } catch (IOException e) {
        sent = 0;
        problem = describe(e);
      } catch (RuntimeException e) {
        // not a source problem: log the stack once, keep the camera alive
        sent = 0;
        problem = "unexpected " + e;
        if (!problem.equals(lastProblem)) {
          LOG.error("camera {}: unexpected failure", camera.id(), e);
        }
      }
      problem = CameraUrls.mask(problem);
      if (!running) {
        return;
      }
      if (sent > 0) {
        backoff.reset();
      }
      metrics.lastError(problem);
      metrics.state(CameraState.DOWN);
      Duration delay = backoff.next();
      if (!problem.equals(lastProblem)) {
        LOG.warn(
            "camera {}: {}; reconnecting with backoff (next attempt in {} s)",
            camera.id(),
            problem,
            delay.toMillis() / 1000.0);
        lastProblem = problem;
      } else {
        LOG.debug(
            "camera {}: still down ({}), attempt {}, next in {} ms",
            camera.id(),
            problem,
            backoff.attempts(),
            delay.toMillis());
      }
      if (stopSignal.await(delay.toMillis(), TimeUnit.MILLISECONDS)) {
        return;
      }
    }
  }

  /** A short reason: the source and the reader's message. */
  private String describe(IOException e) {
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    return CameraUrls.mask("cannot read " + camera.url() + ": " + message.strip());
  }

  /** Reads one connection of a stream or one pass of a file; returns the frames sent. */
  private long readStream() throws IOException, InterruptedException {
    if (kind == SourceKind.FILE) {
      Path path = Path.of(kind.ffmpegUrl(camera.url()));
      if (!Files.isRegularFile(path)) {
        throw new IOException("no such file");
      }
    }
    long sent = 0;
    try (FfmpegVideoReader reader =
            new FfmpegVideoReader(kind.ffmpegUrl(camera.url()), camera.readTimeout());
        OpenCvJpegEncoder encoder = new OpenCvJpegEncoder(camera.maxWidth())) {
      current = reader;
      if (!running) {
        return 0;
      }
      reader.open(
          kind.inputFormat(),
          kind.ffmpegOptions(camera.readTimeout(), camera.options()),
          camera.readTimeout().plus(PROBE_ALLOWANCE));
      if (!reader.ignoredOptions().isEmpty() && !ignoredOptionsLogged) {
        ignoredOptionsLogged = true;
        LOG.warn(
            "camera {}: FFmpeg did not use the option(s) {} (misspelt, or not for this source)",
            camera.id(),
            reader.ignoredOptions());
      }
      sampler.reset();
      long passStartMillis = System.currentTimeMillis();
      long passStartNanos = System.nanoTime();
      long firstPts = Long.MIN_VALUE;
      FfmpegVideoReader.Picture picture;
      while (running && (picture = reader.grab()) != null) {
        long grabMillis = System.currentTimeMillis();
        metrics.grabbed();
        long pts = picture.timestampMicros();
        if (firstPts == Long.MIN_VALUE) {
          firstPts = pts;
        }
        if (!sampler.accept(pts)) {
          continue;
        }
        long offsetMicros = Math.max(0, pts - firstPts);
        if (!kind.live() && camera.realtime()) {
          pace(passStartNanos, offsetMicros);
        }
        Mat image = picture.image();
        long capture = kind.live() ? grabMillis : passStartMillis + offsetMicros / 1000;
        if (publish(encoder, image, capture, pts)) {
          sent++;
          if (sent == 1) {
            streaming(image.cols(), image.rows(), reader.frameRate());
          }
        }
      }
      endReason = reader.endReason();
    } finally {
      current = null;
    }
    return sent;
  }

  /** Reads one pass over an image folder, in name order, one image per frame at the target rate. */
  private long readFolder() throws IOException, InterruptedException {
    Path folder = Path.of(SourceKind.stripFileScheme(camera.url()));
    List<Path> images;
    try (Stream<Path> files = Files.list(folder)) {
      images = files.filter(CameraWorker::isImage).sorted().toList();
    }
    if (images.isEmpty()) {
      throw new IOException("no images (" + String.join(", ", IMAGE_EXTENSIONS) + ") in folder");
    }
    long intervalMicros = Math.round(1_000_000 / camera.fps());
    long passStartMillis = System.currentTimeMillis();
    long passStartNanos = System.nanoTime();
    long sent = 0;
    long index = 0;
    try (OpenCvJpegEncoder encoder = new OpenCvJpegEncoder(camera.maxWidth())) {
      for (Path file : images) {
        if (!running) {
          break;
        }
        long offsetMicros = index * intervalMicros;
        try (Mat image = imread(file.toString(), IMREAD_COLOR)) {
          if (image.empty()) {
            LOG.warn("camera {}: {} is not a readable image, skipped", camera.id(), file);
            continue;
          }
          metrics.grabbed();
          index++;
          if (camera.realtime()) {
            pace(passStartNanos, offsetMicros);
          }
          if (publish(encoder, image, passStartMillis + offsetMicros / 1000, offsetMicros)) {
            sent++;
            if (sent == 1) {
              streaming(image.cols(), image.rows(), camera.fps());
            }
          }
        }
      }
    }
    return sent;
  }

  private static boolean isImage(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    int dot = name.lastIndexOf('.');
    return dot > 0
        && IMAGE_EXTENSIONS.contains(name.substring(dot + 1))
        && Files.isRegularFile(file);
  }

  private void streaming(int width, int height, double fps) {
    metrics.lastError(null);
    CameraState previous = metrics.state(CameraState.STREAMING);
    if (previous != CameraState.STREAMING) {
      if (lastProblem != null) {
        LOG.info(
            "camera {}: streaming again ({}x{} at {} fps) after {} attempts",
            camera.id(),
            width,
            height,
            String.format(Locale.ROOT, "%.2f", fps),
            backoff.attempts());
      } else {
        LOG.info(
            "camera {}: streaming ({}x{} at {} fps)",
            camera.id(),
            width,
            height,
            String.format(Locale.ROOT, "%.2f", fps));
      }
      lastProblem = null;
    }
  }

  /** Waits until the frame at {@code offsetMicros} is due, so files play like a camera. */
  private void pace(long startNanos, long offsetMicros) throws InterruptedException {
    long waitNanos = startNanos + offsetMicros * 1000 - System.nanoTime();
    if (waitNanos > 0 && stopSignal.await(waitNanos, TimeUnit.NANOSECONDS)) {
      running = false;
    }
  }

  /** Encodes and hands over one frame; returns whether it was handed over. */
  private boolean publish(OpenCvJpegEncoder encoder, Mat image, long captureMillis, long pts)
      throws InterruptedException {
    EncodedImage encoded = encoder.encode(image, camera.jpegQuality(), maxImageBytes);
    if (encoded == null) {
      metrics.dropped(DropReason.OVERSIZE);
      if (!oversizeLogged) {
        oversizeLogged = true;
        LOG.warn(
            "camera {}: a {}x{} frame does not fit in {} bytes even at the lowest JPEG quality;"
                + " such frames are dropped (set maxWidth to downscale)",
            camera.id(),
            image.cols(),
            image.rows(),
            maxImageBytes);
      }
      return false;
    }
    metrics.encoded(encoded.encodeNanos());
    Frame frame =
        Frame.newBuilder()
            .setCamera(camera.id())
            .setSequence(sequence.getAndIncrement())
            .setCaptureTime(Instant.ofEpochMilli(captureMillis))
            .setWidth(encoded.width())
            .setHeight(encoded.height())
            .setEncoding(ImageEncoding.JPEG)
            .setImage(ByteBuffer.wrap(encoded.jpeg()))
            .setPresentationTime(pts)
            .build();
    metrics.handed(frame.getSequence(), captureMillis);
    sink.submit(frame, !kind.live());
    return true;
  }
}
