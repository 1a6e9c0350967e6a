package io.maskstream.trainer.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.schemas.models.ModelFile;
import io.maskstream.trainer.engine.Torch;
import io.maskstream.trainer.export.ExportFixtures.Found;
import io.maskstream.trainer.export.ExportFixtures.Image;
import io.maskstream.trainer.model.Backbone;
import io.maskstream.trainer.model.InputTransform;
import io.maskstream.trainer.model.MaskRcnn;
import io.maskstream.trainer.model.RegionProposalNetwork;
import io.maskstream.trainer.model.RoiHeads;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exported graph in ONNX Runtime against {@link MaskRcnn#detect} on the same images: the same
 * detections in the same order, boxes within 1e-2 px, scores within 1e-4, mask probabilities within
 * 1e-4 and thresholded masks of IoU 0.99 or more; intermediate stages (pyramid levels, proposals)
 * against the Java modules; torchvision's own outputs; an image without detections; the metadata
 * the detector reads. The tiny test also logs the inference time of both on a 256 x 256 image.
 *
 * <p>The models carry deterministic weights ({@link io.maskstream.trainer.model.SyntheticWeights})
 * with a sharpened classifier and objectness so that scores spread out as a trained model's do. The
 * images are shapes images with camera-like noise (see {@link Image#noisy}).
 */
@SuppressWarnings("try") // each PointerScope releases the tensors a test creates
class OnnxExporterTest {
  private static final Logger log = LoggerFactory.getLogger(OnnxExporterTest.class);

  @TempDir Path dir;

  @BeforeAll
  static void load() {
    Torch.load();
  }

  /** The tiny preset with synthetic weights, class logits x30 and objectness x5. */
  static MaskRcnn tiny() {
    MaskRcnn model = ExportFixtures.withSyntheticWeights(MaskRcnn.tiny(new SplittableRandom(1), 7));
    sharpen(model, 30, 5, 0);
    return model;
  }

  /**
   * Scales the classifier's and the objectness weights and adds {@code backgroundBias} to the
   * background logit's bias.
   */
  static void sharpen(MaskRcnn model, float classes, float objectness, float backgroundBias) {
    try (PointerScope scope = new PointerScope()) {
      Map<String, Tensor> state = model.stateDict();
      Map<String, Tensor> changed = new HashMap<>();
      Map<String, Float> factors =
          Map.of(
              "roi_heads.box_predictor.cls_score.weight", classes,
              "rpn.head.cls_logits.weight", objectness);
      factors.forEach(
          (key, factor) -> {
            Tensor t = state.get(key);
            float[] v = Torch.toFloats(t);
            for (int i = 0; i < v.length; i++) {
              v[i] *= factor;
            }
            changed.put(key, Torch.floats(v, t.shape()));
          });
      Tensor bias = state.get("roi_heads.box_predictor.cls_score.bias");
      float[] b = Torch.toFloats(bias);
      b[0] += backgroundBias;
      changed.put("roi_heads.box_predictor.cls_score.bias", Torch.floats(b, bias.shape()));
      model.loadStateDict(changed, false);
    }
  }

  /**
   * Copies an exported file to the folder named by the system property {@code
   * maskstream.export.out}, if set, for checking with src/test/python/check_onnx_export.py.
   */
  static void keep(Path file) throws java.io.IOException {
    String out = System.getProperty("maskstream.export.out");
    if (out != null) {
      Path target = Path.of(out).resolve(file.getFileName());
      Files.createDirectories(target.getParent());
      Files.copy(file, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      log.info("export kept as {}", target);
    }
  }

  static ExportInfo info(String preset) {
    return new ExportInfo("shapes-test", preset, ExportFixtures.SHAPES);
  }

  @Test
  void tinyExportDetectsWhatTheModelDetects() throws Exception {
    try (MaskRcnn model = tiny();
        OrtSession session = ExportFixtures.session(OnnxExporter.toBytes(model, info("tiny")))) {
      // sizes 192..320 a side: resized up and down to a short side of 256, some padded
      List<Image> images =
          List.of(
              Image.shapes(0).noisy(1),
              Image.shapes(1).noisy(2),
              Image.shapes(4).noisy(3),
              Image.shapes(9).noisy(4),
              Image.plain(200, 240, 0.3f, 0.5f, 0.7f).noisy(5),
              // max_size decides: 20 x 512, where the pyramid scales are inferred as 1/2..1/16
              Image.plain(40, 1000, 0.6f, 0.4f, 0.2f).noisy(11),
              // upscaled four times
              Image.plain(60, 80, 0.2f, 0.2f, 0.9f).noisy(12),
              // kept at its size (last: also timed)
              Image.of(shapes(256, 256).image(13, 0).image()).noisy(10));
      Agreement worst = new Agreement();
      for (Image image : images) {
        Found java = ExportFixtures.detect(model, image);
        Found onnx = ExportFixtures.run(session, image);
        assertThat(java.count()).as("detections of a %s image", size(image)).isPositive();
        worst = worst.max(assertSameDetections(java, onnx));
      }
      log.info("tiny export vs MaskRcnn.detect on {} images: {}", images.size(), worst);
      logInferenceTimes(model, session, images.get(images.size() - 1));
    }
  }

  /** Logs the median times of the graph in ONNX Runtime and of MaskRcnn.detect on one image. */
  private static void logInferenceTimes(MaskRcnn model, OrtSession session, Image image)
      throws Exception {
    long[] onnx = new long[5];
    for (int i = 0; i < onnx.length; i++) {
      long t = System.nanoTime();
      ExportFixtures.run(session, image);
      onnx[i] = System.nanoTime() - t;
    }
    long[] java = new long[3];
    for (int i = 0; i < java.length; i++) {
      long t = System.nanoTime();
      ExportFixtures.detect(model, image);
      java[i] = System.nanoTime() - t;
    }
    Arrays.sort(onnx);
    Arrays.sort(java);
    log.info(
        "{}, {} detections: ONNX Runtime (2 threads) {} ms, MaskRcnn.detect {} ms (medians)",
        size(image),
        ExportFixtures.run(session, image).count(),
        onnx[onnx.length / 2] / 1_000_000,
        java[java.length / 2] / 1_000_000);
  }

  @Test
  void anImageWithoutDetectionsGivesEmptyOutputsOfTheRightShapes() throws Exception {
    try (MaskRcnn model = tiny()) {
      // a background logit far above the others: no class reaches the score threshold
      sharpen(model, 1, 1, 40);
      try (OrtSession session = ExportFixtures.session(OnnxExporter.toBytes(model, info("tiny")))) {
        Image image = Image.shapes(2).noisy(6);
        assertThat(ExportFixtures.detect(model, image).count()).isZero();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OnnxTensor input =
                OnnxTensor.createTensor(
                    env,
                    FloatBuffer.wrap(image.chw()),
                    new long[] {3, image.height(), image.width()});
            OrtSession.Result result = session.run(Map.of("image", input))) {
          assertThat(ExportFixtures.shapeOf(result, "boxes")).containsExactly(0, 4);
          assertThat(ExportFixtures.shapeOf(result, "labels")).containsExactly(0);
          assertThat(ExportFixtures.shapeOf(result, "scores")).containsExactly(0);
          assertThat(ExportFixtures.shapeOf(result, "masks"))
              .containsExactly(0, 1, image.height(), image.width());
        }
      }
    }
  }

  @Test
  void pyramidLevelsAndProposalsMatchTheJavaStages() throws Exception {
    try (PointerScope scope = new PointerScope();
        MaskRcnn model = tiny();
        Backbone backbone = Backbone.tiny(new SplittableRandom(3));
        RegionProposalNetwork rpn =
            new RegionProposalNetwork(
                new SplittableRandom(4), 64, new int[] {2000, 1000}, new int[] {2000, 1000})) {
      backbone.loadStateDict(prefixed(model.stateDict(), "backbone."), true);
      rpn.loadStateDict(prefixed(model.stateDict(), "rpn."), true);
      backbone.train(false);
      rpn.train(false);
      List<String> levels = List.of("features.0", "features.1", "features.2", "features.3");
      LinkedHashSet<String> extra = new LinkedHashSet<>(levels);
      extra.add("features.4");
      extra.add("proposals");
      byte[] bytes = OnnxExporter.model(model, info("tiny"), extra).toByteArray();
      try (OrtSession session = ExportFixtures.session(bytes)) {
        for (Image image : List.of(Image.shapes(3).noisy(7), Image.shapes(5).noisy(8))) {
          Tensor input = Torch.floats(image.chw(), 3, image.height(), image.width());
          InputTransform.Batch batch = model.transform().batch(List.of(input));
          List<Tensor> features = backbone.forward(batch.images());
          RegionProposalNetwork.Result proposals =
              rpn.forward(
                  features,
                  (int) batch.images().size(2),
                  (int) batch.images().size(3),
                  batch.sizes(),
                  null,
                  null);
          OrtEnvironment env = OrtEnvironment.getEnvironment();
          try (OnnxTensor in =
                  OnnxTensor.createTensor(
                      env,
                      FloatBuffer.wrap(image.chw()),
                      new long[] {3, image.height(), image.width()});
              OrtSession.Result result = session.run(Map.of("image", in))) {
            double worstFeature = 0;
            for (int l = 0; l < 5; l++) {
              String name = "features." + l;
              assertThat(ExportFixtures.shapeOf(result, name))
                  .as(name)
                  .containsExactly(features.get(l).shape());
              float[] want = Torch.toFloats(features.get(l));
              float[] got = ExportFixtures.floats(result, name);
              for (int i = 0; i < want.length; i++) {
                worstFeature =
                    Math.max(
                        worstFeature, Math.abs(want[i] - got[i]) / Math.max(1, Math.abs(want[i])));
              }
            }
            assertThat(worstFeature).as("pyramid levels, relative").isLessThan(1e-4);
            float[] want = Torch.toFloats(proposals.proposals().get(0).boxes());
            float[] wantScores = Torch.toFloats(proposals.proposals().get(0).scores());
            float[] got = ExportFixtures.floats(result, "proposals");
            assertThat(got).hasSameSizeAs(want);
            int n = want.length / 4;
            double worstBox = 0;
            int moved = 0;
            boolean[] used = new boolean[n];
            for (int i = 0; i < n; i++) {
              int best = i;
              double distance = boxDistance(want, i, got, i);
              if (used[i] || distance > 1e-2) {
                // proposals whose scores differ by float noise may come in either order
                best = -1;
                distance = Double.MAX_VALUE;
                for (int j = 0; j < n; j++) {
                  double d = boxDistance(want, i, got, j);
                  if (!used[j] && d < distance) {
                    best = j;
                    distance = d;
                  }
                }
                assertThat((double) Math.abs(wantScores[i] - wantScores[best]))
                    .as("proposal %d found at %d", i, best)
                    .isLessThanOrEqualTo(1e-5);
                moved++;
              }
              used[best] = true;
              worstBox = Math.max(worstBox, distance);
            }
            assertThat(worstBox).as("proposals, px").isLessThan(1e-2);
            log.info(
                "{} image: pyramid levels within {} (relative), {} proposals within {} px, {}"
                    + " of them swapped with one of a score within 1e-5",
                size(image),
                String.format("%.1e", worstFeature),
                n,
                String.format("%.1e", worstBox),
                moved);
          }
        }
      }
    }
  }

  @Test
  void exportsDetectWhatTorchvisionDetectsWithTheSameWeights() throws Exception {
    JsonNode fixtures;
    try (var in = OnnxExporterTest.class.getResourceAsStream("/torchvision/models.json")) {
      fixtures = new ObjectMapper().readTree(in);
    }
    List<String> classes = List.of("background", "a", "b", "c");
    // the layouts and weights of MaskRcnnTest, whose outputs torchvision computed
    for (String name : List.of("tiny", "tiny_resized", "r18_fpn")) {
      JsonNode c = fixtures.get(name);
      boolean r18 = name.equals("r18_fpn");
      InputTransform transform =
          c.has("min_size")
              ? new InputTransform(c.get("min_size").asInt(), c.get("max_size").asInt())
              : new InputTransform(64, 64);
      try (MaskRcnn model =
              ExportFixtures.withSyntheticWeights(
                  new MaskRcnn(
                      new SplittableRandom(1),
                      r18
                          ? Backbone.resnet18Fpn(new SplittableRandom(2))
                          : Backbone.tiny(new SplittableRandom(2)),
                      4,
                      r18 ? 1024 : 256,
                      r18 ? new long[] {256, 256, 256, 256} : new long[] {64, 64},
                      new RoiHeads.Options(
                          r18 ? 512 : 128,
                          0.25,
                          0.05,
                          0.5,
                          c.get("scores").get("shape").get(0).asInt()),
                      transform));
          OrtSession session =
              ExportFixtures.session(
                  OnnxExporter.toBytes(model, new ExportInfo(name, name, classes)))) {
        long[] shape = ExportFixtures.longs(c.get("image").get("shape"));
        Image image =
            new Image(ExportFixtures.packed(c.get("image")), (int) shape[1], (int) shape[2]);
        long[] labels = ExportFixtures.longs(c.get("labels"));
        Found torchvision =
            new Found(
                ExportFixtures.packed(c.get("boxes")),
                labels,
                ExportFixtures.packed(c.get("scores")),
                ExportFixtures.packed(c.get("masks")),
                image.height(),
                image.width());
        Found onnx = ExportFixtures.run(session, image);
        log.info("{} export vs torchvision: {}", name, assertSameDetections(torchvision, onnx));
      }
    }
  }

  @Test
  void resnet18FpnExportDetectsWhatTheModelDetects() throws Exception {
    try (MaskRcnn model =
        ExportFixtures.withSyntheticWeights(MaskRcnn.resnet18Fpn(new SplittableRandom(2), 7))) {
      sharpen(model, 30, 5, 0);
      Path file = dir.resolve("r18.onnx");
      OnnxExporter.export(model, info("r18-fpn"), file);
      keep(file);
      try (OrtSession session = ExportFixtures.session(Files.readAllBytes(file))) {
        // 160 x 200 becomes 800 x 1000 inside the graph
        Image image = Image.of(shapes(160, 200).image(12, 0).image()).noisy(9);
        Found java = ExportFixtures.detect(model, image);
        Found onnx = ExportFixtures.run(session, image);
        assertThat(java.count()).isPositive();
        log.info("r18-fpn export vs MaskRcnn.detect: {}", assertSameDetections(java, onnx));
      }
    }
  }

  /**
   * The r50-fpn preset's network with a short side of 320 instead of 800 and 20 detections instead
   * of 100, which keeps the test quick (MaskRcnn.detect of the preset takes tens of seconds on two
   * cores); its heads are those of the r18-fpn test, and the graph reads the sizes from the model.
   */
  @Test
  void resnet50FpnExportDetectsWhatTheModelDetects() throws Exception {
    try (MaskRcnn model =
        ExportFixtures.withSyntheticWeights(
            new MaskRcnn(
                new SplittableRandom(2),
                Backbone.resnet50Fpn(new SplittableRandom(2)),
                7,
                1024,
                new long[] {256, 256, 256, 256},
                new RoiHeads.Options(512, 0.25, 0.05, 0.5, 20),
                new InputTransform(320, 533)))) {
      sharpen(model, 30, 5, 0);
      Path file = dir.resolve("r50.onnx");
      OnnxExporter.export(model, info("r50-fpn"), file);
      keep(file);
      try (OrtSession session = ExportFixtures.session(Files.readAllBytes(file))) {
        // 160 x 200 becomes 320 x 400 inside the graph
        Image image = Image.of(shapes(160, 200).image(12, 0).image()).noisy(9);
        Found java = ExportFixtures.detect(model, image);
        Found onnx = ExportFixtures.run(session, image);
        assertThat(java.count()).isPositive();
        log.info("r50-fpn export vs MaskRcnn.detect: {}", assertSameDetections(java, onnx));
      }
    }
  }

  @Test
  void theFileDeclaresTheContractItsClassesAndProvenance() throws Exception {
    Map<String, String> provenance = new LinkedHashMap<>();
    provenance.put(ModelFile.ITERATIONS_KEY, "1200");
    provenance.put(ModelFile.DATASET_KEY, "/data/shapes");
    try (MaskRcnn model = tiny()) {
      Path file = dir.resolve("sub").resolve("tiny.onnx");
      OnnxExporter.export(
          model, new ExportInfo("shapes-v1", "tiny", ExportFixtures.SHAPES, provenance), file);
      try (var files = Files.list(file.getParent())) {
        assertThat(files.map(p -> p.getFileName().toString())).containsExactly("tiny.onnx");
      }
      keep(file);
      byte[] bytes = Files.readAllBytes(file);
      OnnxMl.ModelProto proto = OnnxMl.ModelProto.parseFrom(bytes);
      assertThat(proto.getIrVersion()).isEqualTo(8);
      assertThat(proto.getOpsetImportList())
          .singleElement()
          .satisfies(
              o -> {
                assertThat(o.getDomain()).isEmpty();
                assertThat(o.getVersion()).isEqualTo(17);
              });
      try (OrtSession session = ExportFixtures.session(bytes)) {
        Map<String, String> metadata = session.getMetadata().getCustomMetadata();
        assertThat(metadata)
            .containsEntry(ModelFile.CONTRACT_KEY, ModelFile.CONTRACT)
            .containsEntry(ModelFile.NAME_KEY, "shapes-v1")
            .containsEntry(ModelFile.PRESET_KEY, "tiny")
            .containsEntry(ModelFile.ITERATIONS_KEY, "1200")
            .containsEntry(ModelFile.DATASET_KEY, "/data/shapes");
        assertThat(new ObjectMapper().readValue(metadata.get(ModelFile.CLASSES_KEY), List.class))
            .isEqualTo(ExportFixtures.SHAPES);
        Map<String, NodeInfo> inputs = session.getInputInfo();
        assertThat(inputs).containsOnlyKeys(ModelFile.INPUT_IMAGE);
        TensorInfo input = (TensorInfo) inputs.get(ModelFile.INPUT_IMAGE).getInfo();
        assertThat(input.type).isEqualTo(OnnxJavaType.FLOAT);
        assertThat(input.getShape()).containsExactly(3, -1, -1);
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        assertThat(outputs)
            .containsOnlyKeys(
                ModelFile.OUTPUT_BOXES,
                ModelFile.OUTPUT_LABELS,
                ModelFile.OUTPUT_SCORES,
                ModelFile.OUTPUT_MASKS);
        assertOutput(outputs, ModelFile.OUTPUT_BOXES, OnnxJavaType.FLOAT, -1, 4);
        assertOutput(outputs, ModelFile.OUTPUT_LABELS, OnnxJavaType.INT64, -1);
        assertOutput(outputs, ModelFile.OUTPUT_SCORES, OnnxJavaType.FLOAT, -1);
        assertOutput(outputs, ModelFile.OUTPUT_MASKS, OnnxJavaType.FLOAT, -1, 1, -1, -1);
      }
    }
  }

  @Test
  void refusesClassNamesThatDoNotFitAndProvenanceThatOverridesItsOwnKeys() {
    try (MaskRcnn model = tiny()) {
      assertThatThrownBy(
              () ->
                  OnnxExporter.toBytes(
                      model, new ExportInfo("m", "tiny", List.of("background", "square"))))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("2 class names for a model of 7 classes");
      assertThatThrownBy(
              () ->
                  OnnxExporter.toBytes(
                      model,
                      new ExportInfo(
                          "m", "tiny", ExportFixtures.SHAPES, Map.of(ModelFile.NAME_KEY, "x"))))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(ModelFile.NAME_KEY);
      assertThatThrownBy(() -> new ExportInfo(" ", "tiny", ExportFixtures.SHAPES))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void exactFloatThresholdsGiveTheDoubleComparisonsAnswer() {
    for (double t : new double[] {1e-3, 1e-2, 0.05, 0.5, 0.7, 0.25}) {
      float atLeast = BoxGraph.floatAtLeast(t);
      float below = BoxGraph.floatBelow(t);
      for (float x :
          new float[] {
            (float) t, Math.nextUp((float) t), Math.nextDown((float) t), atLeast, below
          }) {
        assertThat(x < atLeast).as("%s < %s", x, t).isEqualTo(x < t);
        assertThat(x > below).as("%s > %s", x, t).isEqualTo(x > t);
      }
    }
  }

  private static void assertOutput(
      Map<String, NodeInfo> outputs, String name, OnnxJavaType type, long... shape) {
    TensorInfo info = (TensorInfo) outputs.get(name).getInfo();
    assertThat(info.type).as(name).isEqualTo(type);
    assertThat(info.getShape()).as(name).containsExactly(shape);
  }

  private static io.maskstream.trainer.shapes.ShapesGenerator shapes(int height, int width) {
    int side = Math.max(height, width);
    return new io.maskstream.trainer.shapes.ShapesGenerator(
        new io.maskstream.trainer.shapes.ShapesConfig(
            Math.min(height, width), side, 2, 4, 40, 64, 64, 10));
  }

  private static String size(Image image) {
    return image.height() + "x" + image.width();
  }

  private static Map<String, Tensor> prefixed(Map<String, Tensor> state, String prefix) {
    Map<String, Tensor> out = new HashMap<>();
    state.forEach(
        (k, v) -> {
          if (k.startsWith(prefix)) {
            out.put(k.substring(prefix.length()), v);
          }
        });
    return out;
  }

  /** The largest differences seen between the two detection lists. */
  record Agreement(
      int detections,
      double box,
      double score,
      double mask,
      double maskIou,
      double keypoint,
      double keypointScore) {
    Agreement() {
      this(0, 0, 0, 0, 1, 0, 0);
    }

    Agreement max(Agreement o) {
      return new Agreement(
          detections + o.detections,
          Math.max(box, o.box),
          Math.max(score, o.score),
          Math.max(mask, o.mask),
          Math.min(maskIou, o.maskIou),
          Math.max(keypoint, o.keypoint),
          Math.max(keypointScore, o.keypointScore));
    }

    @Override
    public String toString() {
      return String.format(
          "%d detections, boxes within %.1e px, scores within %.1e, mask probabilities within"
              + " %.1e, mask IoU at 0.5 >= %.5f, keypoints within %.1e px, keypoint scores"
              + " within %.1e",
          detections, box, score, mask, maskIou, keypoint, keypointScore);
    }
  }

  /**
   * Asserts that both lists hold the same detections in the same order; detections of equal scores
   * may come in either order, so each is paired with the closest box of its label.
   */
  static Agreement assertSameDetections(Found java, Found onnx) {
    int n = java.count();
    assertThat(onnx.count()).as("number of detections").isEqualTo(n);
    assertThat(onnx.masks() == null).as("masks on one side only").isEqualTo(java.masks() == null);
    assertThat(onnx.keypoints() == null)
        .as("keypoints on one side only")
        .isEqualTo(java.keypoints() == null);
    if (java.masks() != null) {
      assertThat(onnx.masks()).hasSize(n * java.height() * java.width());
    }
    int points = java.keypoints() == null ? 0 : java.keypointScores().length / Math.max(n, 1);
    if (java.keypoints() != null) {
      assertThat(onnx.keypoints()).hasSize(n * points * 3);
    }
    double keypoint = 0;
    double keypointScore = 0;
    double box = 0;
    double score = 0;
    double mask = 0;
    double iou = 1;
    for (int i = 0; i < n; i++) {
      score = Math.max(score, Math.abs(java.scores()[i] - onnx.scores()[i]));
    }
    assertThat(score).as("scores, in order").isLessThanOrEqualTo(1e-4);
    boolean[] used = new boolean[n];
    int pixels = java.height() * java.width();
    for (int i = 0; i < n; i++) {
      int best = -1;
      double distance = Double.MAX_VALUE;
      for (int j = 0; j < n; j++) {
        if (used[j] || onnx.labels()[j] != java.labels()[i]) {
          continue;
        }
        double d = boxDistance(java.boxes(), i, onnx.boxes(), j);
        // the same position wins a tie
        if (d < distance || (d == distance && j == i)) {
          best = j;
          distance = d;
        }
      }
      assertThat(best)
          .as("a detection of label %d for java's %d", java.labels()[i], i)
          .isNotNegative();
      assertThat(distance).as("box of detection %d", i).isLessThanOrEqualTo(1e-2);
      if (best != i) {
        assertThat((double) Math.abs(java.scores()[i] - onnx.scores()[best]))
            .as("detection %d found at %d: only scores within float noise may swap", i, best)
            .isLessThanOrEqualTo(1e-5);
      }
      used[best] = true;
      box = Math.max(box, distance);
      for (int k = 0; k < points; k++) {
        for (int c = 0; c < 3; c++) {
          keypoint =
              Math.max(
                  keypoint,
                  Math.abs(
                      java.keypoints()[(i * points + k) * 3 + c]
                          - onnx.keypoints()[(best * points + k) * 3 + c]));
        }
        keypointScore =
            Math.max(
                keypointScore,
                Math.abs(
                    java.keypointScores()[i * points + k]
                        - onnx.keypointScores()[best * points + k]));
      }
      if (java.masks() == null) {
        continue;
      }
      int inter = 0;
      int union = 0;
      for (int p = 0; p < pixels; p++) {
        float a = java.masks()[i * pixels + p];
        float b = onnx.masks()[best * pixels + p];
        mask = Math.max(mask, Math.abs(a - b));
        inter += a > 0.5f && b > 0.5f ? 1 : 0;
        union += a > 0.5f || b > 0.5f ? 1 : 0;
      }
      if (union > 0) {
        iou = Math.min(iou, (double) inter / union);
      }
    }
    assertThat(mask).as("mask probabilities").isLessThanOrEqualTo(1e-4);
    assertThat(iou).as("mask IoU at 0.5").isGreaterThanOrEqualTo(0.99);
    assertThat(keypoint).as("keypoint coordinates").isLessThanOrEqualTo(1e-2);
    assertThat(keypointScore).as("keypoint scores").isLessThanOrEqualTo(1e-3);
    return new Agreement(n, box, score, mask, iou, keypoint, keypointScore);
  }

  private static double boxDistance(float[] a, int i, float[] b, int j) {
    double d = 0;
    for (int k = 0; k < 4; k++) {
      d = Math.max(d, Math.abs(a[i * 4 + k] - b[j * 4 + k]));
    }
    return d;
  }

  static {
    // referenced for the javadoc of run(); keeps OrtException in the throws clauses meaningful
    assert OrtException.class != null;
  }

  /** Reads the whole file (kept for manual checks with Debian's onnx checker). */
  static byte[] read(Path file) throws IOException {
    return Files.readAllBytes(file);
  }
}
