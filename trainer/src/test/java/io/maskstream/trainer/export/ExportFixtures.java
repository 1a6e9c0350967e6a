package io.maskstream.trainer.export;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.maskstream.trainer.engine.Torch;
import io.maskstream.trainer.model.Detections;
import io.maskstream.trainer.model.MaskRcnn;
import io.maskstream.trainer.model.SyntheticWeights;
import io.maskstream.trainer.shapes.ShapesConfig;
import io.maskstream.trainer.shapes.ShapesGenerator;
import java.awt.image.BufferedImage;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * Models, images and runners shared by the export tests: deterministic weights that make a model
 * detect plenty, shapes images, and the detections of {@link MaskRcnn#detect} and of the exported
 * graph in ONNX Runtime side by side.
 */
@SuppressWarnings("try") // each PointerScope releases the tensors a helper creates
final class ExportFixtures {
  private ExportFixtures() {}

  /** Class names of the shapes dataset, background first. */
  static final List<String> SHAPES =
      List.of("background", "square", "circle", "triangle", "star", "hexagon", "cross");

  /** Loads {@link SyntheticWeights} into {@code model} and puts it in evaluation mode. */
  static <M extends io.maskstream.trainer.engine.Module> M withSyntheticWeights(M model) {
    SyntheticWeights.load(model).train(false);
    return model;
  }

  /** An RGB image {@code [3, H, W]} in [0, 1], row-major, with its size. */
  record Image(float[] chw, int height, int width) {
    static Image of(BufferedImage img) {
      int w = img.getWidth();
      int h = img.getHeight();
      float[] out = new float[3 * h * w];
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          int rgb = img.getRGB(x, y);
          int p = y * w + x;
          out[p] = ((rgb >> 16) & 0xff) / 255f;
          out[h * w + p] = ((rgb >> 8) & 0xff) / 255f;
          out[2 * h * w + p] = (rgb & 0xff) / 255f;
        }
      }
      return new Image(out, h, w);
    }

    /** Image {@code index} of the shapes dataset of seed 11 (192 to 320 pixels a side). */
    static Image shapes(int index) {
      return of(new ShapesGenerator(ShapesConfig.defaults()).image(11, index).image());
    }

    /**
     * The image with a little uniform noise (up to 2 / 255 per value), as a camera adds: without
     * it, flat regions give many exactly equal scores, whose order is left to each implementation's
     * sort.
     */
    Image noisy(long seed) {
      SplittableRandom random = new SplittableRandom(seed);
      float[] out = chw.clone();
      for (int i = 0; i < out.length; i++) {
        float v = out[i] + (float) (random.nextDouble(-2, 2) / 255);
        out[i] = Math.min(1f, Math.max(0f, v));
      }
      return new Image(out, height, width);
    }

    /** One colour everywhere. */
    static Image plain(int height, int width, float r, float g, float b) {
      float[] out = new float[3 * height * width];
      java.util.Arrays.fill(out, 0, height * width, r);
      java.util.Arrays.fill(out, height * width, 2 * height * width, g);
      java.util.Arrays.fill(out, 2 * height * width, 3 * height * width, b);
      return new Image(out, height, width);
    }
  }

  /**
   * Detections of one image.
   *
   * @param boxes {@code [N * 4]}
   * @param masks {@code [N * H * W]}
   */
  record Found(
      float[] boxes,
      long[] labels,
      float[] scores,
      float[] masks,
      float[] keypoints,
      float[] keypointScores,
      int height,
      int width) {
    /** Detections with masks and no keypoints. */
    Found(float[] boxes, long[] labels, float[] scores, float[] masks, int height, int width) {
      this(boxes, labels, scores, masks, null, null, height, width);
    }

    int count() {
      return scores.length;
    }
  }

  /** What {@link MaskRcnn#detect} finds in {@code image}. */
  static Found detect(MaskRcnn model, Image image) {
    try (PointerScope scope = new PointerScope()) {
      Tensor input = Torch.floats(image.chw(), 3, image.height(), image.width());
      try (Detections d = model.detect(List.of(input)).get(0)) {
        return new Found(
            Torch.toFloats(d.boxes()),
            d.labels().clone(),
            Torch.toFloats(d.scores()),
            d.masks() == null ? null : Torch.toFloats(d.masks()),
            d.keypoints() == null ? null : Torch.toFloats(d.keypoints()),
            d.keypointScores() == null ? null : Torch.toFloats(d.keypointScores()),
            image.height(),
            image.width());
      }
    }
  }

  /** What the exported graph finds in {@code image} in ONNX Runtime. */
  static Found run(OrtSession session, Image image) throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OnnxTensor input =
            OnnxTensor.createTensor(
                env, FloatBuffer.wrap(image.chw()), new long[] {3, image.height(), image.width()});
        OrtSession.Result result = session.run(Map.of("image", input))) {
      float[] boxes = floats(result, "boxes");
      java.nio.LongBuffer lb = ((OnnxTensor) result.get("labels").orElseThrow()).getLongBuffer();
      long[] labels = new long[lb.remaining()];
      lb.get(labels);
      float[] scores = floats(result, "scores");
      float[] masks = result.get("masks").isPresent() ? floats(result, "masks") : null;
      float[] keypoints = result.get("keypoints").isPresent() ? floats(result, "keypoints") : null;
      float[] keypointScores =
          result.get("keypoints_scores").isPresent() ? floats(result, "keypoints_scores") : null;
      return new Found(
          boxes, labels, scores, masks, keypoints, keypointScores, image.height(), image.width());
    }
  }

  static float[] floats(OrtSession.Result result, String name) throws OrtException {
    OnnxTensor t = (OnnxTensor) result.get(name).orElseThrow();
    FloatBuffer b = t.getFloatBuffer();
    float[] out = new float[b.remaining()];
    b.get(out);
    return out;
  }

  static long[] shapeOf(OrtSession.Result result, String name) throws OrtException {
    return ((OnnxTensor) result.get(name).orElseThrow()).getInfo().getShape();
  }

  /** A CPU session on the model bytes, two threads, all graph optimisations. */
  static OrtSession session(byte[] model) throws OrtException {
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    options.setIntraOpNumThreads(2);
    return OrtEnvironment.getEnvironment().createSession(model, options);
  }

  /** A float32 tensor stored bit-exactly by the fixture scripts ({@code {"shape", "f32"}}). */
  static float[] packed(com.fasterxml.jackson.databind.JsonNode node) throws java.io.IOException {
    java.nio.ByteBuffer b =
        java.nio.ByteBuffer.wrap(node.get("f32").binaryValue())
            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[b.remaining() / 4];
    b.asFloatBuffer().get(out);
    return out;
  }

  /** A JSON list of integers. */
  static long[] longs(com.fasterxml.jackson.databind.JsonNode list) {
    long[] out = new long[list.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = list.get(i).asLong();
    }
    return out;
  }
}
