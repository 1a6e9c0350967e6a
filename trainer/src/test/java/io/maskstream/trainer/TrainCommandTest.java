package io.maskstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.schemas.cli.UserException;
import io.maskstream.schemas.models.CocoCategories;
import io.maskstream.schemas.models.ModelFile;
import io.maskstream.trainer.engine.Safetensors;
import io.maskstream.trainer.engine.Torch;
import io.maskstream.trainer.model.MaskRcnn;
import io.maskstream.trainer.shapes.ShapesConfig;
import io.maskstream.trainer.shapes.ShapesGenerator;
import io.maskstream.trainer.train.Checkpoint;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code maskstream train} from the command line to an ONNX file ONNX Runtime runs. */
class TrainCommandTest {
  @TempDir Path dir;

  @Test
  void trainsValidatesAndExportsAModelOnnxRuntimeRuns() throws Exception {
    Path data = dir.resolve("data");
    new ShapesGenerator(new ShapesConfig(96, 128, 1, 2, 60, 64, 64, 10)).writeDataset(data, 4, 5);
    Path out = dir.resolve("shapes.onnx");
    String printed =
        Cli.run(
            new TrainCommand(),
            "--data",
            data.toString(),
            "--val",
            data.toString(),
            "--out",
            out.toString(),
            "--iterations",
            "4",
            "--batch-size",
            "2",
            "--validate-every",
            "2",
            "--checkpoint-every",
            "2",
            "--seed",
            "9",
            "--min-size",
            "48,56,64");
    assertThat(printed).contains("wrote " + out).contains("4 iterations").contains("mask AP");
    Path checkpoints = dir.resolve("shapes.checkpoints");
    assertThat(Checkpoint.readState(checkpoints.resolve("last")).iteration()).isEqualTo(4);
    assertThat(Checkpoint.readState(checkpoints.resolve("best")).bestIteration()).isIn(2L, 4L);

    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession session = env.createSession(out.toString(), new OrtSession.SessionOptions())) {
      Map<String, String> meta = session.getMetadata().getCustomMetadata();
      assertThat(meta).containsEntry(ModelFile.CONTRACT_KEY, ModelFile.CONTRACT);
      assertThat(meta).containsEntry(ModelFile.NAME_KEY, "shapes");
      assertThat(meta).containsEntry(ModelFile.ITERATIONS_KEY, "4");
      assertThat(meta).containsEntry(ModelFile.MIN_SIZES_KEY, "48,56,64");
      List<String> classes =
          List.of(new ObjectMapper().readValue(meta.get(ModelFile.CLASSES_KEY), String[].class));
      assertThat(classes).hasSize(7).startsWith("__background__");
      float[] image = new float[3 * 100 * 120];
      java.util.Arrays.fill(image, 0.5f);
      try (OnnxTensor input =
              OnnxTensor.createTensor(env, FloatBuffer.wrap(image), new long[] {3, 100, 120});
          OrtSession.Result result =
              session.run(Map.of(session.getInputNames().iterator().next(), input))) {
        long[] masks = ((OnnxTensor) result.get(3)).getInfo().getShape();
        assertThat(masks).hasSize(4);
        assertThat(masks[2]).isEqualTo(100);
        assertThat(masks[3]).isEqualTo(120);
      }
    }
  }

  @Test
  void aKeypointDatasetTrainsAKeypointHeadWhoseExportNamesItsKeypoints() throws Exception {
    Path data = dir.resolve("data");
    new ShapesGenerator(new ShapesConfig(96, 128, 1, 2, 60, 64, 64, 10), true)
        .writeDataset(data, 4, 5);
    Path out = dir.resolve("points.onnx");
    String printed =
        Cli.run(
            new TrainCommand(),
            "--data",
            data.toString(),
            "--val",
            data.toString(),
            "--out",
            out.toString(),
            "--iterations",
            "2",
            "--batch-size",
            "2",
            "--min-size",
            "64");
    assertThat(printed).contains("wrote " + out);
    List<String> names = List.of("top", "right", "bottom", "left");
    List<List<Integer>> skeleton =
        List.of(List.of(1, 2), List.of(2, 3), List.of(3, 4), List.of(4, 1));
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession session = env.createSession(out.toString(), new OrtSession.SessionOptions())) {
      Map<String, String> meta = session.getMetadata().getCustomMetadata();
      assertThat(ModelFile.classes(meta.get(ModelFile.KEYPOINTS_KEY))).isEqualTo(names);
      assertThat(ModelFile.skeleton(meta.get(ModelFile.SKELETON_KEY))).isEqualTo(skeleton);
      assertThat(session.getOutputNames()).contains("masks", "keypoints", "keypoints_scores");
    }
    // the weights beside it carry the names to an export of them
    Path again = dir.resolve("again.onnx");
    Cli.run(
        new TrainCommand(),
        "--init",
        dir.resolve("points.safetensors").toString(),
        "--iterations",
        "0",
        "--out",
        again.toString());
    try (OrtSession session =
        env.createSession(again.toString(), new OrtSession.SessionOptions())) {
      Map<String, String> meta = session.getMetadata().getCustomMetadata();
      assertThat(ModelFile.classes(meta.get(ModelFile.KEYPOINTS_KEY))).isEqualTo(names);
      assertThat(ModelFile.skeleton(meta.get(ModelFile.SKELETON_KEY))).isEqualTo(skeleton);
    }
    // a keypoint R-CNN state dict without masks or names, 17 keypoints: COCO's person keypoints
    Path person = dir.resolve("person.safetensors");
    try (MaskRcnn model =
        MaskRcnn.tiny(
            new SplittableRandom(5),
            2,
            MaskRcnn.TINY_INPUT,
            new MaskRcnn.Branches(false, CocoCategories.PERSON_KEYPOINTS.size()))) {
      Safetensors.write(person, model.stateDict(), Map.of());
    }
    Path persons = dir.resolve("persons.onnx");
    Cli.run(
        new TrainCommand(),
        "--init",
        person.toString(),
        "--iterations",
        "0",
        "--classes",
        "person",
        "--out",
        persons.toString());
    try (OrtSession session =
        env.createSession(persons.toString(), new OrtSession.SessionOptions())) {
      Map<String, String> meta = session.getMetadata().getCustomMetadata();
      assertThat(ModelFile.classes(meta.get(ModelFile.KEYPOINTS_KEY)))
          .isEqualTo(CocoCategories.PERSON_KEYPOINTS);
      assertThat(ModelFile.skeleton(meta.get(ModelFile.SKELETON_KEY)))
          .isEqualTo(CocoCategories.PERSON_SKELETON);
      assertThat(session.getOutputNames())
          .containsExactly("boxes", "labels", "scores", "keypoints", "keypoints_scores");
    }
  }

  @Test
  void badSettingsAreRefusedWithWhatToDo() throws Exception {
    Path data = dir.resolve("data");
    new ShapesGenerator(new ShapesConfig(96, 96, 1, 1, 60, 64, 64, 10)).writeDataset(data, 2, 1);
    Path empty = Files.createDirectories(dir.resolve("empty"));
    assertThat(refusal(data, "--resume", empty.toString())).contains("is not a checkpoint");
    assertThat(refusal(data, "--lr-steps", "0.9,0.5")).contains("increasing fractions");
    assertThat(refusal(data, "--batch-size", "0")).contains("--batch-size must be at least 1");
    assertThat(refusal(data, "--min-size", "256,600"))
        .isEqualTo(
            "--min-size 600 is outside 32..512 (the tiny preset's long-side limit): give"
                + " short-side sizes in that range");
    assertThat(refusal(data, "--val", empty.resolve("none").toString()))
        .contains("is not a folder");
  }

  @Test
  void iterationsZeroExportsTheInitWeightsUntrainedWithCocoNamesFor91Classes() throws Exception {
    // a state dict of torchvision's 91 COCO classes that names no classes, as a .pth would be
    Path weights = dir.resolve("state.safetensors");
    float[] expected;
    Path extra = dir.resolve("extra.safetensors");
    try (MaskRcnn model = MaskRcnn.tiny(new SplittableRandom(5), 91);
        Tensor more = Torch.floats(new float[] {1f}, 1)) {
      Safetensors.write(weights, model.stateDict(), Map.of());
      Map<String, Tensor> withExtra = new java.util.LinkedHashMap<>(model.stateDict());
      withExtra.put("roi_heads.extra.weight", more);
      Safetensors.write(extra, withExtra, Map.of());
      expected = Torch.toFloats(model.stateDict().get("roi_heads.box_predictor.cls_score.bias"));
    }
    Path out = dir.resolve("coco-tiny.onnx");
    String printed =
        Cli.run(
            new TrainCommand(),
            "--init",
            weights.toString(),
            "--iterations",
            "0",
            "--out",
            out.toString());
    assertThat(printed).contains("wrote " + out).contains("(tiny, 90 classes, untrained");
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession session = env.createSession(out.toString(), new OrtSession.SessionOptions())) {
      Map<String, String> meta = session.getMetadata().getCustomMetadata();
      assertThat(meta).containsEntry(ModelFile.PRESET_KEY, "tiny");
      assertThat(meta).containsEntry(ModelFile.ITERATIONS_KEY, "0");
      assertThat(
              List.of(
                  new ObjectMapper().readValue(meta.get(ModelFile.CLASSES_KEY), String[].class)))
          .isEqualTo(CocoCategories.torchvision91());
    }
    // the weights written beside the model are those given
    try (Safetensors.Contents beside = Checkpoint.readInit(dir.resolve("coco-tiny.safetensors"))) {
      assertThat(Torch.toFloats(beside.tensors().get("roi_heads.box_predictor.cls_score.bias")))
          .containsExactly(expected);
    }
    assertThat(exportRefusal(weights.toString(), "--classes", "a,b"))
        .contains("--classes names 2 classes")
        .contains("give 90 names");
    assertThat(exportRefusal(extra.toString()))
        .contains("are not weights of the tiny network: 1 unexpected (roi_heads.extra.weight)");
  }

  @Test
  void weightsThatCannotBeExportedAreRefusedInOneLineSayingWhy() throws Exception {
    Path small = resource("small.pth");
    assertThat(exportRefusal(resource("not_a_state_dict.pth").toString()))
        .contains("is not a state dict: it holds a list");
    Path truncated = dir.resolve("truncated.pth");
    byte[] bytes = Files.readAllBytes(small);
    Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    assertThat(exportRefusal(truncated.toString())).contains("is truncated or damaged");
    Path legacy = resource("legacy.pth");
    Path cut = dir.resolve("cut.pth");
    Files.write(cut, java.util.Arrays.copyOf(Files.readAllBytes(legacy), 9000));
    assertThat(exportRefusal(cut.toString())).contains("is truncated or damaged");
    // the small layout has the tiny preset's names with other shapes, and is no ResNet-18
    assertThat(exportRefusal(small.toString()))
        .contains("are not weights of the tiny network: ")
        .contains(
            "of another shape (backbone.body.conv1.weight [8, 3, 7, 7] (expected [32, 3, 7, 7])");
    assertThat(exportRefusal(small.toString(), "--preset", "r18-fpn"))
        .contains("are not weights of the r18-fpn network: ")
        .contains("missing (backbone.body.layer1.1.conv1.weight")
        .contains(
            "of another shape (backbone.body.conv1.weight [8, 3, 7, 7] (expected [64, 3, 7, 7])")
        .contains("they look like tiny weights: give --preset tiny");
    assertThat(exportRefusal(small.toString(), "--data", dir.toString()))
        .contains("leave out --data");
    Throwable noInit =
        catchThrowable(
            () ->
                Cli.run(
                    new TrainCommand(),
                    "--iterations",
                    "0",
                    "--out",
                    dir.resolve("m.onnx").toString()));
    assertThat(noInit).hasMessageContaining("give --init WEIGHTS");
  }

  private Path resource(String name) throws java.io.IOException {
    Path file = dir.resolve(name);
    try (var in = TrainCommandTest.class.getResourceAsStream("/pth/" + name)) {
      Files.copy(in, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    return file;
  }

  /**
   * The one-line message {@code train --init INIT --iterations 0} with {@code extra} fails with.
   */
  private String exportRefusal(String init, String... extra) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "--init", init, "--iterations", "0", "--out", dir.resolve("m.onnx").toString()));
    args.addAll(List.of(extra));
    Throwable thrown =
        catchThrowable(() -> Cli.run(new TrainCommand(), args.toArray(new String[0])));
    assertThat(thrown).isInstanceOf(UserException.class);
    assertThat(thrown.getMessage()).doesNotContain("\n");
    return thrown.getMessage();
  }

  /** The message of the error a two-iteration run on {@code data} with {@code extra} fails with. */
  private String refusal(Path data, String... extra) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "--data", data.toString(),
                "--out", dir.resolve("m.onnx").toString(),
                "--iterations", "2"));
    args.addAll(List.of(extra));
    Throwable thrown =
        catchThrowable(() -> Cli.run(new TrainCommand(), args.toArray(new String[0])));
    assertThat(thrown).isInstanceOf(UserException.class);
    return thrown.getMessage();
  }
}
