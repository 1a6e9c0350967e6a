package io.maskstream.detector.shadow;

import io.maskstream.detector.ModelIdentity;
import io.maskstream.detector.Segmentation;
import io.maskstream.detector.SegmentationException;
import io.maskstream.detector.Segmenter;
import io.maskstream.detector.image.DecodedImage;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The serving {@link Segmenter} with a tap: every frame it segments is also offered, with its
 * segmentation, to the {@link ShadowRunner} set now, if any ({@link ShadowRunner#offer} never
 * waits). What it returns is the serving model's alone. Owns neither the serving segmenter nor the
 * runner.
 */
public final class ShadowingSegmenter implements Segmenter {
  private final Segmenter serving;
  private final AtomicReference<ShadowRunner> runner = new AtomicReference<>();

  /** Taps {@code serving}. */
  public ShadowingSegmenter(Segmenter serving) {
    this.serving = serving;
  }

  /**
   * Offers frames to {@code next} from now on (null: to none).
   *
   * @return the runner offered frames until now, which the caller closes
   */
  public ShadowRunner shadow(ShadowRunner next) {
    return runner.getAndSet(next);
  }

  /** The runner frames are offered to now; null when none. */
  public ShadowRunner shadow() {
    return runner.get();
  }

  @Override
  public DecodedImage decode(byte[] encodedImage) throws SegmentationException {
    return serving.decode(encodedImage);
  }

  @Override
  public Segmentation segment(DecodedImage image, float decodeMs) throws SegmentationException {
    Segmentation s = serving.segment(image, decodeMs);
    ShadowRunner r = runner.get();
    if (r != null) {
      r.offer(image, s);
    }
    return s;
  }

  @Override
  public ModelIdentity model() {
    return serving.model();
  }

  @Override
  public long worstCaseMillis() {
    return serving.worstCaseMillis();
  }

  /** Nothing to close: the serving segmenter and the runner belong to the caller. */
  @Override
  public void close() {}
}
