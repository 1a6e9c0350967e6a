package io.maskstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.maskstream.detector.DetectorConfig;
import io.maskstream.detector.Instance;
import io.maskstream.detector.Segmentation;
import io.maskstream.detector.image.DecodedImage;
import io.maskstream.detector.model.Device;
import io.maskstream.detector.model.GraphContract;
import io.maskstream.detector.model.OnnxMaskRcnn;
import io.maskstream.schemas.models.ModelFile;
import io.maskstream.trainer.engine.Torch;
import io.maskstream.trainer.export.ExportInfo;
import io.maskstream.trainer.export.OnnxExporter;
import io.maskstream.trainer.model.Detections;
import io.maskstream.trainer.model.MaskRcnn;
import io.maskstream.trainer.shapes.ShapesConfig;
import io.maskstream.trainer.shapes.ShapesGenerator;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainer's ONNX export as the detector sees it: loaded, recognised as a maskstream model with
 * its own name and class names, and finding on a frame what the trainer's model finds on the same
 * pixels.
 */
@SuppressWarnings("try") // the PointerScope releases the trainer's tensors
class TrainerExportTest {
  static final List<String> CLASSES =
      List.of("background", "square", "circle", "triangle", "star", "hexagon", "cross");

  @Test
  void theDetectorRunsATrainerExportAsAMaskstreamModel(@TempDir Path dir) throws Exception {
    Torch.load();
    Path file = dir.resolve("shapes.onnx");
    DecodedImage frame = frame();
    try (PointerScope scope = new PointerScope();
        MaskRcnn model = MaskRcnn.tiny(new SplittableRandom(3), CLASSES.size())) {
      model.train(false);
      OnnxExporter.export(
          model,
          new ExportInfo("shapes-v1", "tiny", CLASSES, Map.of(ModelFile.SEED_KEY, "3")),
          file);
      DetectorConfig config =
          DetectorConfig.builder().model(file).device(Device.CPU).scoreThreshold(0.05f).build();
      try (OnnxMaskRcnn detector = OnnxMaskRcnn.load(config)) {
        assertThat(detector.contract()).isEqualTo(GraphContract.MASKSTREAM);
        assertThat(detector.classes().names()).isEqualTo(CLASSES);
        assertThat(detector.identity().name()).isEqualTo("shapes-v1");
        // the graph's paste is left out: the detector pastes the small masks itself
        assertThat(detector.pastesMasks()).isTrue();
        Segmentation found = detector.segment(frame, 0f);
        assertThat(found.width()).isEqualTo(frame.width());
        assertThat(found.height()).isEqualTo(frame.height());

        Detections own =
            model
                .detect(List.of(Torch.floats(rgb(frame), 3, frame.height(), frame.width())))
                .get(0);
        float[] boxes = Torch.toFloats(own.boxes());
        float[] ownMasks = Torch.toFloats(own.masks());
        int plane = frame.width() * frame.height();
        long[] labels = own.labels();
        assertThat(labels).isNotEmpty();
        assertThat(found.instances()).hasSize(labels.length);
        boolean[] used = new boolean[labels.length];
        for (Instance instance : found.instances()) {
          // detections of nearly equal scores may come in either order: pair them by box
          int best = -1;
          double distance = Double.MAX_VALUE;
          for (int j = 0; j < labels.length; j++) {
            double d =
                Math.max(
                    Math.max(
                        Math.abs(instance.x1() - boxes[4 * j]),
                        Math.abs(instance.y1() - boxes[4 * j + 1])),
                    Math.max(
                        Math.abs(instance.x2() - boxes[4 * j + 2]),
                        Math.abs(instance.y2() - boxes[4 * j + 3])));
            if (!used[j] && labels[j] == instance.classId() && d < distance) {
              best = j;
              distance = d;
            }
          }
          assertThat(distance).as("box of %s", instance).isLessThanOrEqualTo(1e-2);
          used[best] = true;
          assertThat(instance.label()).isEqualTo(CLASSES.get(instance.classId()));
          assertThat(instance.mask().height()).isEqualTo(frame.height());
          assertThat(instance.mask().width()).isEqualTo(frame.width());
          // the detector's paste of the small mask is the trainer's paste of the same mask
          byte[] expected = new byte[plane];
          for (int i = 0; i < plane; i++) {
            expected[i] = (byte) (ownMasks[best * plane + i] > 0.5f ? 1 : 0);
          }
          byte[] actual = instance.mask().decodeRowMajor();
          int inter = 0;
          int union = 0;
          for (int i = 0; i < plane; i++) {
            inter += expected[i] & actual[i];
            union += expected[i] | actual[i];
          }
          assertThat(union == 0 ? 1.0 : (double) inter / union)
              .as("mask IoU of %s", instance)
              .isGreaterThanOrEqualTo(0.99);
        }
      }
    }
  }

  @Test
  void theDetectorFindsTheKeypointsOfATrainerExportWithAKeypointHead(@TempDir Path dir)
      throws Exception {
    Torch.load();
    Path file = dir.resolve("points.onnx");
    DecodedImage frame = frame();
    List<String> names = List.of("top", "right", "bottom", "left");
    List<List<Integer>> skeleton = List.of(List.of(1, 2), List.of(2, 3));
    try (PointerScope scope = new PointerScope();
        MaskRcnn model =
            MaskRcnn.tiny(
                new SplittableRandom(3),
                CLASSES.size(),
                MaskRcnn.TINY_INPUT,
                new MaskRcnn.Branches(true, names.size()))) {
      model.train(false);
      OnnxExporter.export(
          model,
          new ExportInfo("points", "tiny", CLASSES, Map.of()).withKeypoints(names, skeleton),
          file);
      DetectorConfig config =
          DetectorConfig.builder().model(file).device(Device.CPU).scoreThreshold(0.05f).build();
      try (OnnxMaskRcnn detector = OnnxMaskRcnn.load(config)) {
        assertThat(detector.keypointLayout())
            .isEqualTo(new io.maskstream.detector.KeypointLayout(names, skeleton));
        assertThat(detector.pastesMasks()).isTrue();
        Segmentation found = detector.segment(frame, 0f);
        assertThat(found.keypoints().names()).isEqualTo(names);
        Detections own =
            model
                .detect(List.of(Torch.floats(rgb(frame), 3, frame.height(), frame.width())))
                .get(0);
        float[] boxes = Torch.toFloats(own.boxes());
        float[] points = Torch.toFloats(own.keypoints());
        float[] pointScores = Torch.toFloats(own.keypointScores());
        assertThat(found.instances()).hasSize(own.labels().length).isNotEmpty();
        for (Instance instance : found.instances()) {
          int best = -1;
          double distance = Double.MAX_VALUE;
          for (int j = 0; j < own.labels().length; j++) {
            double d =
                Math.abs(instance.x1() - boxes[4 * j])
                    + Math.abs(instance.y1() - boxes[4 * j + 1])
                    + Math.abs(instance.x2() - boxes[4 * j + 2])
                    + Math.abs(instance.y2() - boxes[4 * j + 3]);
            if (d < distance) {
              best = j;
              distance = d;
            }
          }
          assertThat(instance.mask()).isNotNull();
          for (int k = 0; k < names.size(); k++) {
            int at = best * names.size() + k;
            assertThat(instance.keypoints()[3 * k]).isCloseTo(points[3 * at], within(1e-2f));
            assertThat(instance.keypoints()[3 * k + 1])
                .isCloseTo(points[3 * at + 1], within(1e-2f));
            assertThat(instance.keypoints()[3 * k + 2]).isCloseTo(pointScores[at], within(1e-3f));
          }
        }
      }
    }
  }

  /** A shapes image with a little noise, as a camera frame (BGR bytes). */
  static DecodedImage frame() {
    BufferedImage image = new ShapesGenerator(ShapesConfig.defaults()).image(5, 0).image();
    int w = image.getWidth();
    int h = image.getHeight();
    byte[] bgr = new byte[3 * w * h];
    SplittableRandom noise = new SplittableRandom(4);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int rgb = image.getRGB(x, y);
        int p = 3 * (y * w + x);
        bgr[p] = jitter(rgb & 0xff, noise);
        bgr[p + 1] = jitter((rgb >> 8) & 0xff, noise);
        bgr[p + 2] = jitter((rgb >> 16) & 0xff, noise);
      }
    }
    return new DecodedImage(w, h, bgr);
  }

  private static byte jitter(int v, SplittableRandom noise) {
    return (byte) Math.min(255, Math.max(0, v + noise.nextInt(-2, 3)));
  }

  /** The frame as the trainer's input: RGB planes in [0, 1], as the detector feeds the graph. */
  static float[] rgb(DecodedImage frame) {
    int plane = frame.width() * frame.height();
    float[] out = new float[3 * plane];
    byte[] bgr = frame.bgr();
    for (int i = 0; i < plane; i++) {
      out[i] = (bgr[3 * i + 2] & 0xff) / 255.0f;
      out[plane + i] = (bgr[3 * i + 1] & 0xff) / 255.0f;
      out[2 * plane + i] = (bgr[3 * i] & 0xff) / 255.0f;
    }
    return out;
  }
}
