package io.maskstream.detector.bench;

import io.maskstream.detector.DetectorConfig;
import io.maskstream.detector.Fixtures;
import io.maskstream.detector.image.DecodedImage;
import io.maskstream.detector.image.ImageDecoder;
import io.maskstream.detector.model.Device;
import io.maskstream.detector.model.ModelSegmenter;
import io.maskstream.schemas.masks.MaskEncoder;
import io.maskstream.schemas.masks.MaskPaster;
import java.util.Arrays;
import java.util.Random;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Post-processing cost of 100 detections on a 1280x720 frame (paste 28x28 masks + threshold + RLE,
 * and threshold + RLE of already pasted planes) against the model's inference time on the same
 * frame. Prints the figures; no assertions.
 */
public final class PostprocessBenchmark {
  private PostprocessBenchmark() {}

  /** Runs the benchmark; optional argument: intra-op threads (default 2). */
  public static void main(String[] args) throws Exception {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    int w = 1280;
    int h = 720;
    DecodedImage frame;
    try (Mat small = opencv_imgcodecs.imread(Fixtures.path("image1.png").toString());
        Mat big = new Mat()) {
      opencv_imgproc.resize(small, big, new Size(w, h));
      frame = ImageDecoder.fromMat(big);
    }
    double[] inference = new double[5];
    try (ModelSegmenter segmenter =
        ModelSegmenter.open(
            DetectorConfig.builder()
                .model(Fixtures.model())
                .device(Device.CPU)
                .intraOpThreads(threads)
                .build())) {
      for (int i = 0; i < inference.length; i++) {
        inference[i] = segmenter.segment(frame, 0f).times().inferenceMs();
      }
    }
    Random random = new Random(1);
    int n = 100;
    float[] masks = new float[n * 28 * 28];
    for (int i = 0; i < masks.length; i++) {
      int x = i % 28;
      int y = (i / 28) % 28;
      masks[i] = (float) Math.exp(-((x - 14) * (x - 14) + (y - 14) * (y - 14)) / 60.0);
    }
    float[][] boxes = new float[n][];
    for (int i = 0; i < n; i++) {
      float bw = 40 + random.nextFloat() * 400;
      float bh = 40 + random.nextFloat() * 300;
      float x = random.nextFloat() * (w - bw);
      float y = random.nextFloat() * (h - bh);
      boxes[i] = new float[] {x, y, x + bw, y + bh};
    }
    float[] canvas = new float[w * h];
    double[] paste = new double[7];
    double[] encodeOnly = new double[7];
    long area = 0;
    for (int r = 0; r < paste.length; r++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        MaskPaster.paste(masks, i * 28 * 28, 28, boxes[i], h, w, canvas);
        area +=
            MaskEncoder.encode(canvas, h, w, 0.5f, MaskPaster.support(boxes[i], 28, h, w)).area();
      }
      long t1 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        area +=
            MaskEncoder.encode(canvas, h, w, 0.5f, MaskPaster.support(boxes[i], 8, h, w)).area();
      }
      long t2 = System.nanoTime();
      paste[r] = (t1 - t0) / 1e6;
      encodeOnly[r] = (t2 - t1) / 1e6;
    }
    double inf = median(inference);
    double p = median(paste);
    double e = median(encodeOnly);
    System.out.printf(
        "inference 1280x720 (shapes fixture model, %d threads): %.1f ms%n"
            + "100 detections, paste 28x28 + threshold + RLE: %.1f ms (%.1f%% of inference)%n"
            + "100 detections, threshold + RLE of pasted planes (torchvision contract): %.1f ms"
            + " (%.1f%% of inference)%n(checksum %d)%n",
        threads, inf, p, 100 * p / inf, e, 100 * e / inf, area);
  }

  static double median(double[] values) {
    double[] c = values.clone();
    Arrays.sort(c);
    return c[c.length / 2];
  }
}
