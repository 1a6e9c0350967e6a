package io.maskstream.schemas.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The model file's contract as files already published carry it: the demo model the launcher
 * bundles, which {@code train} wrote, and the keys byte for byte.
 */
class ModelFileTest {
  private static final Path BUNDLED =
      Path.of("..", "launcher", "src", "main", "resources", "io", "maskstream", "launcher")
          .resolve("shapes-tiny.onnx");

  @Test
  void readsTheMetadataAndGraphNamesOfAModelTrainExported() throws Exception {
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession session =
            OrtEnvironment.getEnvironment().createSession(BUNDLED.toString(), options)) {
      Map<String, String> metadata = session.getMetadata().getCustomMetadata();
      assertThat(metadata)
          .containsOnlyKeys(
              ModelFile.CONTRACT_KEY,
              ModelFile.NAME_KEY,
              ModelFile.PRESET_KEY,
              ModelFile.CLASSES_KEY,
              ModelFile.WEIGHTS_KEY,
              ModelFile.WEIGHTS_SHA256_KEY,
              ModelFile.DATASET_KEY,
              ModelFile.ITERATIONS_KEY,
              ModelFile.SECONDS_KEY,
              ModelFile.BATCH_SIZE_KEY,
              ModelFile.SEED_KEY,
              ModelFile.FINISHED_KEY,
              ModelFile.VALIDATION_KEY,
              ModelFile.BEST_ITERATION_KEY,
              ModelFile.BOX_AP_KEY,
              ModelFile.MASK_AP_KEY)
          .containsEntry(ModelFile.CONTRACT_KEY, ModelFile.CONTRACT)
          .containsEntry(ModelFile.NAME_KEY, "shapes-tiny")
          .containsEntry(ModelFile.PRESET_KEY, "tiny");
      String json = metadata.get(ModelFile.CLASSES_KEY);
      List<String> classes = ModelFile.classes(json);
      assertThat(classes)
          .containsExactly(
              "__background__", "square", "circle", "triangle", "star", "hexagon", "cross");
      assertThat(ModelFile.classesJson(classes)).isEqualTo(json);
      assertThat(session.getInputInfo()).containsOnlyKeys(ModelFile.INPUT_IMAGE);
      assertThat(session.getOutputInfo())
          .containsOnlyKeys(
              ModelFile.OUTPUT_BOXES,
              ModelFile.OUTPUT_LABELS,
              ModelFile.OUTPUT_SCORES,
              ModelFile.OUTPUT_MASKS);
    }
  }

  @Test
  void theKeysAreTheStringsPublishedModelsCarry() {
    assertThat(
            List.of(
                ModelFile.CONTRACT_KEY,
                ModelFile.CONTRACT,
                ModelFile.NAME_KEY,
                ModelFile.PRESET_KEY,
                ModelFile.CLASSES_KEY,
                ModelFile.WEIGHTS_KEY,
                ModelFile.WEIGHTS_SHA256_KEY,
                ModelFile.INIT_KEY,
                ModelFile.DATASET_KEY,
                ModelFile.ITERATIONS_KEY,
                ModelFile.SECONDS_KEY,
                ModelFile.BATCH_SIZE_KEY,
                ModelFile.SEED_KEY,
                ModelFile.MIN_SIZES_KEY,
                ModelFile.FINISHED_KEY,
                ModelFile.VALIDATION_KEY,
                ModelFile.BEST_ITERATION_KEY,
                ModelFile.BOX_AP_KEY,
                ModelFile.MASK_AP_KEY))
        .containsExactly(
            "maskstream.contract",
            "maskstream",
            "maskstream.name",
            "maskstream.preset",
            "maskstream.classes",
            "maskstream.training.weights",
            "maskstream.training.weights_sha256",
            "maskstream.training.init",
            "maskstream.training.dataset",
            "maskstream.training.iterations",
            "maskstream.training.seconds",
            "maskstream.training.batch_size",
            "maskstream.training.seed",
            "maskstream.training.min_sizes",
            "maskstream.training.finished",
            "maskstream.training.validation",
            "maskstream.training.best_iteration",
            "maskstream.metrics.box_ap",
            "maskstream.metrics.mask_ap");
  }

  @Test
  void refusesClassesThatAreNotAJsonArrayOfNames() {
    for (String json : List.of("{\"a\":1}", "not json", "null", "[\"a\",null]")) {
      assertThatThrownBy(() -> ModelFile.classes(json))
          .as(json)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith(ModelFile.CLASSES_KEY + " is not a JSON array of names");
    }
  }
}
