package io.maskstream.trainer.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.schemas.models.ModelFile;
import io.maskstream.trainer.engine.Torch;
import io.maskstream.trainer.export.ExportFixtures.Found;
import io.maskstream.trainer.export.ExportFixtures.Image;
import io.maskstream.trainer.model.Backbone;
import io.maskstream.trainer.model.InputTransform;
import io.maskstream.trainer.model.MaskRcnn;
import io.maskstream.trainer.model.RoiHeads;
import io.maskstream.trainer.train.Preset;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Models with a keypoint head exported and run in ONNX Runtime: the keypoints and their scores of
 * {@link MaskRcnn#detect} (and its boxes, scores and masks, as {@link OnnxExporterTest} checks
 * them), torchvision's {@code keypointrcnn_resnet50_fpn} outputs reproduced by the export of the
 * same network and weights, no detections, and the keypoint names and skeleton in the metadata.
 */
class KeypointExportTest {
  private static final Logger log = LoggerFactory.getLogger(KeypointExportTest.class);
  private static final List<String> NAMES = List.of("top", "right", "bottom", "left");
  private static final List<List<Integer>> SKELETON =
      List.of(List.of(1, 2), List.of(2, 3), List.of(3, 4), List.of(4, 1));

  @BeforeAll
  static void load() {
    Torch.load();
  }

  /** The tiny preset with a keypoint head, synthetic weights, sharpened as OnnxExporterTest's. */
  static MaskRcnn tiny() {
    MaskRcnn model =
        ExportFixtures.withSyntheticWeights(
            Preset.TINY.create(
                new SplittableRandom(1),
                7,
                Preset.TINY.transform(),
                new MaskRcnn.Branches(true, NAMES.size())));
    OnnxExporterTest.sharpen(model, 30, 5, 0);
    return model;
  }

  static ExportInfo info() {
    return new ExportInfo("shapes-keypoints", "tiny", ExportFixtures.SHAPES)
        .withKeypoints(NAMES, SKELETON);
  }

  @Test
  void tinyExportFindsTheKeypointsTheModelFinds() throws Exception {
    try (MaskRcnn model = tiny();
        OrtSession session = ExportFixtures.session(OnnxExporter.toBytes(model, info()))) {
      List<Image> images =
          List.of(
              Image.shapes(0).noisy(1),
              Image.shapes(4).noisy(3),
              Image.plain(200, 240, 0.3f, 0.5f, 0.7f).noisy(5),
              Image.plain(60, 80, 0.2f, 0.2f, 0.9f).noisy(12));
      OnnxExporterTest.Agreement worst = new OnnxExporterTest.Agreement();
      for (Image image : images) {
        Found java = ExportFixtures.detect(model, image);
        Found onnx = ExportFixtures.run(session, image);
        assertThat(java.count()).isPositive();
        assertThat(java.keypoints()).hasSize(java.count() * NAMES.size() * 3);
        worst = worst.max(OnnxExporterTest.assertSameDetections(java, onnx));
      }
      log.info("tiny keypoint export vs MaskRcnn.detect: {}", worst);
    }
  }

  @Test
  void theExportOfKeypointrcnnResnet50FpnFindsWhatTorchvisionFinds() throws Exception {
    JsonNode c;
    try (InputStream in =
        KeypointExportTest.class.getResourceAsStream("/torchvision/keypoints.json")) {
      c = new ObjectMapper().readTree(in).get("r50_fpn");
    }
    long[] widths = new long[8];
    Arrays.fill(widths, 512);
    List<String> coco = List.of("nose", "left_eye", "right_eye", "left_ear", "right_ear");
    List<String> names = new java.util.ArrayList<>(coco);
    for (int i = names.size(); i < 17; i++) {
      names.add("point " + i);
    }
    try (MaskRcnn model =
            ExportFixtures.withSyntheticWeights(
                new MaskRcnn(
                    new SplittableRandom(1),
                    Backbone.resnet50Fpn(new SplittableRandom(2)),
                    2,
                    1024,
                    new long[0],
                    widths,
                    17,
                    new RoiHeads.Options(512, 0.25, 0.05, 0.5, 10),
                    new InputTransform(64, 64)));
        OrtSession session =
            ExportFixtures.session(
                OnnxExporter.toBytes(
                    model,
                    new ExportInfo("kp", "r50-fpn", List.of("__background__", "person"))
                        .withKeypoints(names, List.of(List.of(1, 2)))))) {
      assertThat(session.getOutputNames())
          .containsExactly("boxes", "labels", "scores", "keypoints", "keypoints_scores");
      long[] shape = ExportFixtures.longs(c.get("image").get("shape"));
      Image image =
          new Image(ExportFixtures.packed(c.get("image")), (int) shape[1], (int) shape[2]);
      Found torchvision =
          new Found(
              ExportFixtures.packed(c.get("boxes")),
              ExportFixtures.longs(c.get("labels")),
              ExportFixtures.packed(c.get("scores")),
              null,
              ExportFixtures.packed(c.get("keypoints")),
              ExportFixtures.packed(c.get("keypoints_scores")),
              image.height(),
              image.width());
      assertThat(torchvision.count()).isPositive();
      Found onnx = ExportFixtures.run(session, image);
      log.info(
          "keypointrcnn_resnet50_fpn export vs torchvision: {}",
          OnnxExporterTest.assertSameDetections(torchvision, onnx));
    }
  }

  @Test
  void noDetectionGivesEmptyKeypointsOfTheRightShapes() throws Exception {
    try (MaskRcnn model = tiny()) {
      OnnxExporterTest.sharpen(model, 1, 1, 40);
      try (OrtSession session = ExportFixtures.session(OnnxExporter.toBytes(model, info()))) {
        Image image = Image.shapes(2).noisy(6);
        assertThat(ExportFixtures.detect(model, image).count()).isZero();
        try (OnnxTensor input =
                OnnxTensor.createTensor(
                    OrtEnvironment.getEnvironment(),
                    FloatBuffer.wrap(image.chw()),
                    new long[] {3, image.height(), image.width()});
            OrtSession.Result result = session.run(Map.of("image", input))) {
          assertThat(ExportFixtures.shapeOf(result, "keypoints")).containsExactly(0, 4, 3);
          assertThat(ExportFixtures.shapeOf(result, "keypoints_scores")).containsExactly(0, 4);
          assertThat(ExportFixtures.shapeOf(result, "masks"))
              .containsExactly(0, 1, image.height(), image.width());
        }
      }
    }
  }

  @Test
  void theFileNamesItsKeypointsAndSkeleton() throws Exception {
    try (MaskRcnn model = tiny();
        OrtSession session = ExportFixtures.session(OnnxExporter.toBytes(model, info()))) {
      Map<String, String> meta = session.getMetadata().getCustomMetadata();
      assertThat(ModelFile.classes(meta.get(ModelFile.KEYPOINTS_KEY))).isEqualTo(NAMES);
      assertThat(ModelFile.skeleton(meta.get(ModelFile.SKELETON_KEY))).isEqualTo(SKELETON);
      assertThat(session.getOutputNames())
          .containsExactly("boxes", "labels", "scores", "masks", "keypoints", "keypoints_scores");
      // a model without keypoints says nothing about them
      try (MaskRcnn plain = OnnxExporterTest.tiny();
          OrtSession other =
              ExportFixtures.session(OnnxExporter.toBytes(plain, OnnxExporterTest.info("tiny")))) {
        assertThat(other.getMetadata().getCustomMetadata())
            .doesNotContainKeys(ModelFile.KEYPOINTS_KEY, ModelFile.SKELETON_KEY);
      }
      assertThatThrownBy(
              () ->
                  OnnxExporter.toBytes(
                      model,
                      new ExportInfo("m", "tiny", ExportFixtures.SHAPES)
                          .withKeypoints(List.of("a", "b"), List.of())))
          .hasMessageContaining("2 keypoint names for a model of 4 keypoints");
    }
  }
}
