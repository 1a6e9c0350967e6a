package io.maskstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.schemas.cli.UserException;
import io.maskstream.trainer.shapes.ShapesConfig;
import io.maskstream.trainer.shapes.ShapesGenerator;
import io.maskstream.trainer.train.Checkpoint;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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
            "9");
    assertThat(printed).contains("wrote " + out).contains("4 iterations").contains("mask AP");
    Path checkpoints = dir.resolve("shapes.checkpoints");
    assertThat(Checkpoint.readState(checkpoints.resolve("last")).iteration()).isEqualTo(4);
    assertThat(Checkpoint.readState(checkpoints.resolve("best")).bestIteration()).isIn(2L, 4L);

    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession session = env.createSession(out.toString(), new OrtSession.SessionOptions())) {
      Map<String, String> meta = session.getMetadata().getCustomMetadata();
      assertThat(meta).containsEntry("maskstream.contract", "maskstream");
      assertThat(meta).containsEntry("maskstream.name", "shapes");
      assertThat(meta).containsEntry("maskstream.training.iterations", "4");
      List<String> classes =
          List.of(new ObjectMapper().readValue(meta.get("maskstream.classes"), String[].class));
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
  void resumingWithAnotherDatasetIsRefused() throws Exception {
    Path data = dir.resolve("data");
    new ShapesGenerator(new ShapesConfig(96, 96, 1, 1, 60, 64, 64, 10)).writeDataset(data, 2, 1);
    Path empty = dir.resolve("empty");
    Files.createDirectories(empty);
    assertThatThrownBy(
            () ->
                Cli.run(
                    new TrainCommand(),
                    "--data",
                    data.toString(),
                    "--out",
                    dir.resolve("m.onnx").toString(),
                    "--iterations",
                    "2",
                    "--resume",
                    empty.toString()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("is not a checkpoint");
    assertThatThrownBy(
            () ->
                Cli.run(
                    new TrainCommand(),
                    "--data",
                    data.toString(),
                    "--out",
                    dir.resolve("m.onnx").toString(),
                    "--iterations",
                    "2",
                    "--preset",
                    "r50-fpn"))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("use --preset tiny or r18-fpn");
    assertThatThrownBy(
            () ->
                Cli.run(
                    new TrainCommand(),
                    "--data",
                    data.toString(),
                    "--out",
                    dir.resolve("m.onnx").toString(),
                    "--iterations",
                    "2",
                    "--lr-steps",
                    "0.9,0.5"))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("increasing fractions");
  }
}
