package io.maskstream.launcher;

import io.maskstream.detector.Instance;
import io.maskstream.detector.ModelIdentity;
import io.maskstream.detector.Segmentation;
import io.maskstream.detector.SegmentationException;
import io.maskstream.detector.Segmenter;
import io.maskstream.detector.StageTimes;
import io.maskstream.detector.image.DecodedImage;
import io.maskstream.detector.image.ImageDecoder;
import io.maskstream.sinks.EventSamples;
import java.util.List;

/**
 * A model slower than the camera: each frame takes {@code delayMillis}, and in every frame it finds
 * one object, the rectangle [x1, x2) x [y1, y2) as box and mask. Images are decoded for real.
 */
final class SlowSegmenter implements Segmenter {
  static final ModelIdentity MODEL = new ModelIdentity("slow-test-model", "5l0w");
  static final String LABEL = "slowpoke";

  private final long delayMillis;
  private final int x1;
  private final int y1;
  private final int x2;
  private final int y2;
  private volatile boolean closed;

  SlowSegmenter(long delayMillis, int x1, int y1, int x2, int y2) {
    this.delayMillis = delayMillis;
    this.x1 = x1;
    this.y1 = y1;
    this.x2 = x2;
    this.y2 = y2;
  }

  @Override
  public DecodedImage decode(byte[] encodedImage) throws SegmentationException {
    return ImageDecoder.decode(encodedImage);
  }

  @Override
  public Segmentation segment(DecodedImage image, float decodeMs) throws SegmentationException {
    if (closed) {
      throw new IllegalStateException("closed");
    }
    try {
      Thread.sleep(delayMillis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SegmentationException(SegmentationException.Kind.INFERENCE, "interrupted", e);
    }
    Instance found =
        new Instance(
            1,
            LABEL,
            0.9f,
            x1,
            y1,
            x2,
            y2,
            EventSamples.rectangle(image.width(), image.height(), x1, y1, x2, y2));
    return new Segmentation(
        image.width(),
        image.height(),
        List.of(found),
        MODEL,
        new StageTimes(decodeMs, 0, delayMillis, 0));
  }

  @Override
  public ModelIdentity model() {
    return MODEL;
  }

  @Override
  public long worstCaseMillis() {
    return delayMillis;
  }

  @Override
  public void close() {
    closed = true;
  }
}
