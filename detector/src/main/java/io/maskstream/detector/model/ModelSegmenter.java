package io.maskstream.detector.model;

import io.maskstream.detector.DetectorConfig;
import io.maskstream.detector.ModelIdentity;
import io.maskstream.detector.Segmentation;
import io.maskstream.detector.SegmentationException;
import io.maskstream.detector.Segmenter;
import io.maskstream.detector.image.DecodedImage;
import io.maskstream.detector.image.FrameLimits;
import io.maskstream.detector.image.ImageDecoder;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Segmenter} of a running detector: OpenCV decode, then the current {@link
 * OnnxMaskRcnn}, which can be replaced while frames are in flight.
 *
 * <p>Each model version is held by a reference count: the segmenter holds one reference, every call
 * in flight one more. {@link #swapTo} warms the new model up, then replaces the current one
 * atomically; the old session is closed when its last in-flight call returns, so no call fails
 * because of a swap. The segmenter owns every model given to it and closes the current one in
 * {@link #close()}.
 */
public final class ModelSegmenter implements Segmenter {
  private static final Logger log = LoggerFactory.getLogger(ModelSegmenter.class);
  private static final int WARM_UP_RUNS = 2;

  private final AtomicReference<Held> current = new AtomicReference<>();
  private final AtomicLong worstMillis = new AtomicLong();
  private final FrameLimits limits;

  private ModelSegmenter(Held first, FrameLimits limits) {
    current.set(first);
    this.limits = limits;
  }

  /**
   * Loads and warms up the configured model.
   *
   * @throws ModelLoadException when it cannot serve
   */
  public static ModelSegmenter open(DetectorConfig config) throws ModelLoadException {
    return start(OnnxMaskRcnn.load(config), config.frameLimits());
  }

  /**
   * Takes ownership of a loaded model, warms it up and serves it, decoding within {@code limits}.
   *
   * @throws ModelLoadException when the warm-up fails (the model is closed)
   */
  public static ModelSegmenter start(OnnxMaskRcnn model, FrameLimits limits)
      throws ModelLoadException {
    long ms = warmUp(model);
    ModelSegmenter segmenter = new ModelSegmenter(new Held(model), limits);
    segmenter.worstMillis.set(ms);
    log.info(
        "serving model {} ({} contract, {} classes), warm-up {} ms",
        model.identity(),
        model.contract().name().toLowerCase(java.util.Locale.ROOT),
        model.classes().names().size(),
        ms);
    return segmenter;
  }

  /**
   * Warms {@code candidate} up and makes it the current model; the previous one is closed once the
   * calls still using it have returned. On failure the candidate is closed and the current model
   * keeps serving.
   *
   * @throws ModelLoadException when the candidate fails its warm-up
   */
  public void swapTo(OnnxMaskRcnn candidate) throws ModelLoadException {
    if (current.get() == null) {
      candidate.close();
      throw new IllegalStateException(
          "segmenter is closed: model " + candidate.identity() + " refused");
    }
    long ms = warmUp(candidate);
    worstMillis.accumulateAndGet(ms, Math::max);
    Held next = new Held(candidate);
    Held previous;
    do {
      previous = current.get();
      if (previous == null) {
        // closed during the warm-up: the candidate never serves
        next.release();
        throw new IllegalStateException(
            "segmenter is closed: model " + candidate.identity() + " refused");
      }
    } while (!current.compareAndSet(previous, next));
    log.info("swapped model {} -> {}", previous.model.identity(), candidate.identity());
    previous.release();
  }

  /** OpenCV's decode ({@link ImageDecoder}) within the frame limits. */
  @Override
  public DecodedImage decode(byte[] encodedImage) throws SegmentationException {
    return ImageDecoder.decode(encodedImage, limits);
  }

  @Override
  public Segmentation segment(DecodedImage image, float decodeMs) throws SegmentationException {
    Held held = acquire();
    try {
      long t0 = System.nanoTime();
      Segmentation s = held.model.segment(image, decodeMs);
      worstMillis.accumulateAndGet((System.nanoTime() - t0) / 1_000_000, Math::max);
      return s;
    } finally {
      held.release();
    }
  }

  /** The model serving now; valid until the next swap. */
  public OnnxMaskRcnn currentModel() {
    Held held = current.get();
    if (held == null) {
      throw new IllegalStateException("segmenter is closed");
    }
    return held.model;
  }

  @Override
  public ModelIdentity model() {
    return currentModel().identity();
  }

  @Override
  public long worstCaseMillis() {
    return worstMillis.get();
  }

  /** Closes the current model once in-flight calls have returned; idempotent. */
  @Override
  public void close() {
    Held held = current.getAndSet(null);
    if (held != null) {
      held.release();
    }
  }

  /**
   * A reference to the current model. The current model always holds the segmenter's own reference
   * until a swap or {@link #close()} replaces it, so a failed retain means it was just replaced and
   * the loop reads its successor (or finds the segmenter closed).
   */
  private Held acquire() {
    while (true) {
      Held held = current.get();
      if (held == null) {
        throw new IllegalStateException("segmenter is closed");
      }
      if (held.retain()) {
        return held;
      }
    }
  }

  /** Runs a model on a synthetic image to prove it serves; returns the slowest run in ms. */
  static long warmUp(OnnxMaskRcnn model) throws ModelLoadException {
    DecodedImage probe = probeImage(320, 240);
    long worst = 0;
    try {
      for (int i = 0; i < WARM_UP_RUNS; i++) {
        long t0 = System.nanoTime();
        model.segment(probe, 0f);
        worst = Math.max(worst, (System.nanoTime() - t0) / 1_000_000);
      }
    } catch (SegmentationException | RuntimeException e) {
      model.close();
      throw new ModelLoadException(
          "model " + model.identity() + " failed its warm-up: " + e.getMessage(), e);
    }
    return worst;
  }

  private static DecodedImage probeImage(int w, int h) {
    byte[] bgr = new byte[w * h * 3];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        boolean inside = x > w / 4 && x < w / 2 && y > h / 3 && y < 2 * h / 3;
        int p = (y * w + x) * 3;
        bgr[p] = (byte) (inside ? 40 : 128);
        bgr[p + 1] = (byte) (inside ? 60 : 128);
        bgr[p + 2] = (byte) (inside ? 220 : 128);
      }
    }
    return new DecodedImage(w, h, bgr);
  }

  /** One model version and its reference count; closed when the count reaches zero. */
  private static final class Held {
    final OnnxMaskRcnn model;
    final AtomicInteger refs = new AtomicInteger(1);

    Held(OnnxMaskRcnn model) {
      this.model = model;
    }

    boolean retain() {
      int n;
      do {
        n = refs.get();
        if (n == 0) {
          return false;
        }
      } while (!refs.compareAndSet(n, n + 1));
      return true;
    }

    void release() {
      if (refs.decrementAndGet() == 0) {
        model.close();
        log.info("closed model {}", model.identity());
      }
    }
  }
}
