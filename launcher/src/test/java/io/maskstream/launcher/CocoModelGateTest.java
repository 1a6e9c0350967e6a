package io.maskstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.maskstream.detector.DetectorConfig;
import io.maskstream.detector.PublishCommand;
import io.maskstream.detector.gate.ModelGate;
import io.maskstream.detector.model.Device;
import io.maskstream.detector.model.OnnxMaskRcnn;
import io.maskstream.schemas.avro.ClassAp;
import io.maskstream.schemas.avro.GateFigures;
import io.maskstream.schemas.cli.UserException;
import io.maskstream.trainer.coco.CocoFile;
import io.maskstream.trainer.coco.CocoJson;
import io.maskstream.trainer.eval.CocoEvaluator;
import io.maskstream.trainer.eval.CocoResults;
import io.maskstream.trainer.eval.EvalSummary;
import io.maskstream.trainer.eval.IouType;
import io.maskstream.trainer.shapes.ShapesConfig;
import io.maskstream.trainer.shapes.ShapesGenerator;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gate's measurement with the bundled model on generated shapes: the figures {@code maskstream
 * infer --data} (at its default threshold, for evaluation) and {@code maskstream eval} give,
 * classes matched to categories by name, and one-line refusals of data that lacks a model's class.
 */
class CocoModelGateTest {
  @TempDir static Path dir;
  static Path data;
  static Path model;

  @BeforeAll
  static void dataAndModel() throws Exception {
    data = dir.resolve("val");
    new ShapesGenerator(ShapesConfig.defaults()).writeDataset(data, 12, 2);
    model = dir.resolve("shapes-tiny.onnx");
    try (InputStream in = CocoModelGateTest.class.getResourceAsStream(DemoCommand.BUNDLED_MODEL)) {
      Files.copy(in, model);
    }
  }

  private static OnnxMaskRcnn load() throws Exception {
    return OnnxMaskRcnn.load(
        DetectorConfig.builder()
            .model(model)
            .device(Device.CPU)
            .scoreThreshold(PublishCommand.GATE_SCORE_THRESHOLD)
            .build());
  }

  private static ModelGate.Evaluation evaluate(Path dataset) throws Exception {
    try (OnnxMaskRcnn m = load()) {
      return new CocoModelGate().evaluate(dataset, List.of(new ModelGate.Entry("the model", m)));
    }
  }

  @Test
  void theGateMeasuresWhatInferThenEvalMeasure() throws Exception {
    ModelGate.Evaluation gate = evaluate(data);
    assertThat(gate.images()).isEqualTo(12);
    assertThat(gate.leftOut()).isEmpty();
    GateFigures figures = gate.figures().get(0);
    assertThat(figures.getBoxAp()).as("the bundled model finds shapes").isGreaterThan(0.05);

    Path results = dir.resolve("results.json");
    assertThat(
            Maskstream.execute(
                "infer",
                "--model",
                model.toString(),
                "--device",
                "cpu",
                // infer --data's default threshold, for evaluation: the gate's
                "--data",
                data.toString(),
                "--out",
                results.toString()))
        .isZero();
    CocoFile gt = CocoJson.readAnnotations(data.resolve("annotations.json"));
    CocoResults detections = CocoResults.read(results, gt);
    EvalSummary box = CocoEvaluator.evaluate(gt, detections, IouType.BBOX);
    EvalSummary mask = CocoEvaluator.evaluate(gt, detections, IouType.SEGM);
    assertThat(figures.getBoxAp()).isEqualTo(box.stat(0));
    assertThat(figures.getMaskAp()).isEqualTo(mask.stat(0));
    assertThat(figures.getClasses()).hasSize(box.categoryAp().size());
    for (ClassAp c : figures.getClasses()) {
      long id =
          gt.categories().stream()
              .filter(k -> k.name().equals(c.getName()))
              .findFirst()
              .orElseThrow()
              .id();
      assertThat(c.getBoxAp()).isEqualTo(box.categoryAp().get(id));
      assertThat(c.getMaskAp()).isEqualTo(mask.categoryAp().get(id));
    }
  }

  @Test
  void classesMeetCategoriesByNameAndCategoriesNoModelKnowsAreLeftOut() throws Exception {
    GateFigures original = evaluate(data).figures().get(0);
    // the same images with other category ids, in another order, and a category of its own
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = (ObjectNode) json.readTree(data.resolve("annotations.json").toFile());
    for (Iterator<com.fasterxml.jackson.databind.JsonNode> it = root.get("annotations").elements();
        it.hasNext(); ) {
      ObjectNode a = (ObjectNode) it.next();
      a.put("category_id", 100 - a.get("category_id").asLong());
    }
    ArrayNode categories = json.createArrayNode();
    List<com.fasterxml.jackson.databind.JsonNode> old = new java.util.ArrayList<>();
    root.get("categories").forEach(old::add);
    categories.addObject().put("id", 7).put("name", "bicycle").put("supercategory", "vehicle");
    for (int i = old.size() - 1; i >= 0; i--) {
      ObjectNode c = ((ObjectNode) old.get(i)).deepCopy();
      c.put("id", 100 - c.get("id").asLong());
      categories.add(c);
    }
    root.set("categories", categories);
    Path renumbered = Files.createDirectories(dir.resolve("renumbered"));
    json.writeValue(renumbered.resolve("annotations.json").toFile(), root);
    Files.createSymbolicLink(renumbered.resolve("images"), data.resolve("images"));

    ModelGate.Evaluation gate = evaluate(renumbered);
    assertThat(gate.leftOut()).containsExactly("bicycle");
    GateFigures figures = gate.figures().get(0);
    assertThat(figures.getBoxAp()).isEqualTo(original.getBoxAp());
    assertThat(figures.getMaskAp()).isEqualTo(original.getMaskAp());
    assertThat(figures.getClasses().stream().map(ClassAp::getName).sorted().toList())
        .isEqualTo(original.getClasses().stream().map(ClassAp::getName).sorted().toList());
  }

  @Test
  void dataWithoutOneOfTheModelsClassesIsRefusedInOneLine() throws Exception {
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = (ObjectNode) json.readTree(data.resolve("annotations.json").toFile());
    ArrayNode kept = json.createArrayNode();
    long cross = -1;
    for (com.fasterxml.jackson.databind.JsonNode c : root.get("categories")) {
      if (c.get("name").asText().equals("cross")) {
        cross = c.get("id").asLong();
      } else {
        kept.add(c);
      }
    }
    assertThat(cross).isPositive();
    root.set("categories", kept);
    ArrayNode annotations = json.createArrayNode();
    for (com.fasterxml.jackson.databind.JsonNode a : root.get("annotations")) {
      if (a.get("category_id").asLong() != cross) {
        annotations.add(a);
      }
    }
    root.set("annotations", annotations);
    Path noCross = Files.createDirectories(dir.resolve("no-cross"));
    json.writeValue(noCross.resolve("annotations.json").toFile(), root);
    Files.createSymbolicLink(noCross.resolve("images"), data.resolve("images"));

    assertThatThrownBy(() -> evaluate(noCross))
        .isInstanceOf(UserException.class)
        .hasMessageStartingWith(
            "--gate " + noCross + " has no category 'cross', a class of the model")
        .hasMessageContaining("gate on data labelled with every class of both models")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    assertThatThrownBy(() -> evaluate(dir.resolve("nothing-here")))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("has no annotations.json");
  }
}
