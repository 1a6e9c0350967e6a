package io.maskstream.detector.shadow;

import io.maskstream.detector.Segmentation;
import io.maskstream.detector.SegmentationException;
import io.maskstream.detector.image.DecodedImage;
import io.maskstream.detector.model.OnnxMaskRcnn;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a candidate model beside the serving one on a sample of the frames: the stream threads
 * {@link #offer} every frame with the serving model's segmentation; a frame picked by the sample
 * rate is handed to the runner's own thread through a single-slot {@link HandOff}, dropped
 * (counted) when the candidate is still busy with the previous one, so the stream threads never
 * wait for it. The runner compares the two models' detections ({@link Agreement}), sums them
 * ({@link ShadowTotals}) and records them as meters tagged with the model and the candidate's
 * version.
 *
 * <p>Owns the candidate's ONNX Runtime session and its thread: a candidate that throws is stopped
 * with one log line; {@link #close()} stops the thread, closes the session and removes the meters.
 */
public final class ShadowRunner implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ShadowRunner.class);
  private static final Duration POLL = Duration.ofMillis(200);

  /** A sampled frame and what the serving model found on it. */
  record Job(DecodedImage image, Segmentation serving) {}

  private final OnnxMaskRcnn candidate;
  private final String model;
  private final String version;
  private final double sample;
  private final HandOff<Job> handOff = new HandOff<>();
  private final AtomicReference<ShadowTotals> totals = new AtomicReference<>(ShadowTotals.EMPTY);
  private final AtomicReference<String> failure = new AtomicReference<>();
  private final MeterRegistry registry;
  private final List<Meter> meters = new ArrayList<>();
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final DistributionSummary maskIou;
  private final DistributionSummary scoreShift;
  private final Timer inference;
  private final Thread thread;
  private volatile boolean running = true;
  private double credit;
  private long sampled;

  /**
   * Starts running {@code candidate} (owned from now on) beside the model {@code model} on {@code
   * sample} of the frames.
   */
  public ShadowRunner(OnnxMaskRcnn candidate, String model, double sample, MeterRegistry registry) {
    if (!(sample > 0 && sample <= 1)) {
      candidate.close();
      throw new IllegalArgumentException("sample must be in (0, 1], got " + sample);
    }
    this.candidate = candidate;
    this.model = model;
    this.version = candidate.identity().version();
    this.sample = sample;
    this.registry = registry;
    Tags tags = Tags.of("model", model, "candidate", version);
    this.maskIou =
        register(
            DistributionSummary.builder("maskstream.detector.shadow.mask.iou")
                .description("Mask IoU of the candidate's detections matched to the serving ones")
                .tags(tags)
                .register(registry));
    this.scoreShift =
        register(
            DistributionSummary.builder("maskstream.detector.shadow.score.shift")
                .description("Candidate score minus serving score of matched detections")
                .tags(tags)
                .register(registry));
    this.inference =
        register(
            Timer.builder("maskstream.detector.shadow.inference")
                .description("Candidate model run time per sampled frame")
                .tags(tags)
                .register(registry));
    this.thread = new Thread(this::run, "shadow-" + version);
    thread.setDaemon(true);
    // the serving model's threads come first when the cores are busy
    thread.setPriority(Thread.MIN_PRIORITY);
    thread.start();
  }

  private <M extends Meter> M register(M meter) {
    synchronized (meters) {
      meters.add(meter);
    }
    return meter;
  }

  /** The candidate's version. */
  public String version() {
    return version;
  }

  /** The fraction of frames offered to the candidate. */
  public double sample() {
    return sample;
  }

  /**
   * Offers one frame the serving model segmented; returns at once. Frames outside the sample, and
   * sampled frames while the candidate is busy, are left out.
   */
  public void offer(DecodedImage image, Segmentation serving) {
    if (!running || !pick()) {
      return;
    }
    count("sampled");
    if (!handOff.offer(new Job(image, serving))) {
      count("dropped");
    }
  }

  /** Every 1/sample-th frame, evenly: {@code sample} 0.2 takes one frame in five. */
  private synchronized boolean pick() {
    credit += sample;
    if (credit >= 1 - 1e-9) {
      credit -= 1;
      sampled++;
      return true;
    }
    return false;
  }

  private void run() {
    try {
      while (running) {
        Job job;
        try {
          job = handOff.take(POLL);
        } catch (InterruptedException e) {
          return;
        }
        if (job == null) {
          continue;
        }
        try {
          long t0 = System.nanoTime();
          Segmentation s = candidate.segment(job.image(), 0f);
          inference.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
          Agreement a = Agreement.of(job.serving().instances(), s.instances());
          totals.updateAndGet(t -> t.plus(a));
          record(a);
        } catch (SegmentationException | RuntimeException e) {
          failure.set(e.getClass().getSimpleName() + ": " + e.getMessage());
          log.warn(
              "stopped shadowing {}@{} beside {}: the candidate failed on a frame: {}",
              model,
              version,
              job.serving().model(),
              failure.get());
          running = false;
        } finally {
          handOff.done();
        }
      }
    } finally {
      // only this thread runs the candidate: closing here never races a run
      candidate.close();
    }
  }

  private void record(Agreement a) {
    count("compared");
    a.classes()
        .forEach(
            (name, c) -> {
              detections("serving", name).increment(c.serving());
              detections("candidate", name).increment(c.candidate());
              detections("matched", name).increment(c.matched());
            });
    for (Agreement.Match m : a.matches()) {
      maskIou.record(m.maskIou());
      scoreShift.record(m.scoreShift());
    }
  }

  private void count(String result) {
    counters
        .computeIfAbsent(
            "frames " + result,
            k ->
                register(
                    Counter.builder("maskstream.detector.shadow.frames")
                        .description(
                            "Frames sampled for the candidate, dropped while it was busy, and"
                                + " compared")
                        .tags("model", model, "candidate", version, "result", result)
                        .register(registry)))
        .increment();
  }

  private Counter detections(String side, String name) {
    return counters.computeIfAbsent(
        "detections " + side + " " + name,
        k ->
            register(
                Counter.builder("maskstream.detector.shadow.detections")
                    .description(
                        "Detections of each side on the compared frames, and matched pairs")
                    .tags("model", model, "candidate", version, "side", side, "class", name)
                    .register(registry)));
  }

  /** The agreement so far, with the frames sampled and dropped. */
  public ShadowTotals totals() {
    long n;
    synchronized (this) {
      n = sampled;
    }
    return totals.get().withFrames(n, handOff.dropped());
  }

  /** Why the candidate was stopped after failing on a frame; null while it has not failed. */
  public String failure() {
    return failure.get();
  }

  /** Whether the candidate still runs. */
  public boolean running() {
    return running;
  }

  /** Stops the candidate's thread, closes its session and removes its meters. */
  @Override
  public void close() {
    running = false;
    try {
      thread.join(Duration.ofSeconds(30).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (meters) {
      meters.forEach(registry::remove);
      meters.clear();
    }
  }
}
