package io.maskstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.maskstream.schemas.cli.UserException;
import io.maskstream.schemas.models.ModelFile;
import io.maskstream.schemas.models.ModelStore;
import io.maskstream.trainer.engine.Safetensors;
import io.maskstream.trainer.engine.Torch;
import io.maskstream.trainer.shapes.ShapesConfig;
import io.maskstream.trainer.shapes.ShapesGenerator;
import io.maskstream.trainer.train.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Continuing from a model {@code train} exported: its training weights are written beside it and
 * named in its metadata, {@code --init model.onnx} takes them, and a class list that grew keeps
 * what the weights learnt of each class they know.
 */
class FineTuneTest {
  @TempDir Path dir;

  @Test
  void continuesFromTheWeightsBesideAnExportAndCarriesClassesByName() throws Exception {
    Path all = dir.resolve("all");
    new ShapesGenerator(new ShapesConfig(96, 128, 1, 3, 40, 64, 64, 10)).writeDataset(all, 4, 5);
    Path fewer = withoutCategory(all, "cross", dir.resolve("fewer"));

    Path v1 = dir.resolve("v1.onnx");
    train(fewer, v1, "--iterations", "1");
    Path v1Weights = dir.resolve("v1.safetensors");
    Map<String, String> v1Meta = metadata(v1);
    assertThat(v1Meta)
        .containsEntry(ModelFile.WEIGHTS_KEY, "v1.safetensors")
        .containsEntry(
            ModelFile.WEIGHTS_SHA256_KEY, ModelStore.sha256Hex(Files.readAllBytes(v1Weights)));

    // one more class, and a learning rate too small to move anything in one iteration
    Path v2 = dir.resolve("v2.onnx");
    String printed = train(all, v2, "--init", v1.toString(), "--iterations", "1", "--lr", "1e-12");
    assertThat(printed).contains("wrote " + v2);
    assertThat(metadata(v2).get(ModelFile.INIT_KEY))
        .isEqualTo(v1Weights + " (the training weights of " + v1 + ")");

    try (Safetensors.Contents before = Safetensors.read(v1Weights);
        Safetensors.Contents after = Safetensors.read(dir.resolve("v2.safetensors"))) {
      List<String> oldClasses = Checkpoint.classesOf(before.metadata());
      List<String> newClasses = Checkpoint.classesOf(after.metadata());
      assertThat(oldClasses).doesNotContain("cross").hasSize(6);
      assertThat(newClasses).contains("cross").hasSize(7);
      assertThat(Torch.toFloats(after.tensors().get("backbone.body.conv1.weight")))
          .containsExactly(
              Torch.toFloats(before.tensors().get("backbone.body.conv1.weight")), within(1e-6f));
      for (String key :
          List.of(
              "roi_heads.box_predictor.cls_score.weight",
              "roi_heads.box_predictor.bbox_pred.weight",
              "roi_heads.mask_predictor.mask_fcn_logits.weight")) {
        float[] old = Torch.toFloats(before.tensors().get(key));
        float[] now = Torch.toFloats(after.tensors().get(key));
        int perOld = old.length / oldClasses.size();
        int perNow = now.length / newClasses.size();
        assertThat(perNow).isEqualTo(perOld);
        for (int c = 0; c < newClasses.size(); c++) {
          int was = oldClasses.indexOf(newClasses.get(c));
          float[] row = java.util.Arrays.copyOfRange(now, c * perNow, (c + 1) * perNow);
          if (was >= 0) {
            assertThat(row)
                .as("%s of %s", key, newClasses.get(c))
                .containsExactly(
                    java.util.Arrays.copyOfRange(old, was * perOld, (was + 1) * perOld),
                    within(1e-6f));
          } else {
            for (int o = 0; o < oldClasses.size(); o++) {
              assertThat(row)
                  .as("%s of the new class is not a copy", key)
                  .isNotEqualTo(java.util.Arrays.copyOfRange(old, o * perOld, (o + 1) * perOld));
            }
          }
        }
      }
    }
  }

  @Test
  void anExportWithoutItsWeightsOrAnUnknownInitIsOneLine() throws Exception {
    Path data = dir.resolve("data");
    new ShapesGenerator(new ShapesConfig(96, 128, 1, 2, 40, 64, 64, 10)).writeDataset(data, 2, 5);
    Path v1 = dir.resolve("v1.onnx");
    train(data, v1, "--iterations", "1");
    Files.delete(dir.resolve("v1.safetensors"));
    Throwable missing =
        catchThrowable(
            () ->
                train(data, dir.resolve("v2.onnx"), "--init", v1.toString(), "--iterations", "1"));
    assertThat(missing)
        .isInstanceOf(UserException.class)
        .hasMessage(
            "--init "
                + v1
                + ": its training weights v1.safetensors are not beside it (train writes them"
                + " there): copy them there, or give the checkpoint");
    Throwable unknown =
        catchThrowable(
            () ->
                train(data, dir.resolve("v2.onnx"), "--init", "nowhere.onnx", "--iterations", "1"));
    assertThat(unknown)
        .isInstanceOf(UserException.class)
        .hasMessageStartingWith("--init nowhere.onnx does not exist: give a checkpoint folder");
  }

  private String train(Path data, Path out, String... more) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "--data",
                data.toString(),
                "--out",
                out.toString(),
                "--batch-size",
                "2",
                "--seed",
                "4"));
    args.addAll(List.of(more));
    return Cli.run(new TrainCommand(), args.toArray(String[]::new));
  }

  private static Map<String, String> metadata(Path onnx) throws Exception {
    Map<String, String> out = new HashMap<>();
    for (OnnxMl.StringStringEntryProto e :
        OnnxMl.ModelProto.parseFrom(Files.readAllBytes(onnx)).getMetadataPropsList()) {
      out.put(e.getKey(), e.getValue());
    }
    return out;
  }

  /** A copy of a dataset's annotations without one category (the images are shared). */
  private static Path withoutCategory(Path data, String name, Path out) throws Exception {
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = (ObjectNode) json.readTree(data.resolve("annotations.json").toFile());
    long id = -1;
    ArrayNode categories = json.createArrayNode();
    for (JsonNode c : root.get("categories")) {
      if (c.get("name").asText().equals(name)) {
        id = c.get("id").asLong();
      } else {
        categories.add(c);
      }
    }
    ArrayNode annotations = json.createArrayNode();
    for (JsonNode a : root.get("annotations")) {
      if (a.get("category_id").asLong() != id) {
        annotations.add(a);
      }
    }
    root.set("categories", categories);
    root.set("annotations", annotations);
    Files.createDirectories(out);
    json.writeValue(out.resolve("annotations.json").toFile(), root);
    Files.createSymbolicLink(out.resolve("images"), data.resolve("images"));
    return out;
  }
}
