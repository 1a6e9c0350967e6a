package io.maskstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

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
  void badSettingsAreRefusedWithWhatToDo() throws Exception {
    Path data = dir.resolve("data");
    new ShapesGenerator(new ShapesConfig(96, 96, 1, 1, 60, 64, 64, 10)).writeDataset(data, 2, 1);
    Path empty = Files.createDirectories(dir.resolve("empty"));
    assertThat(refusal(data, "--resume", empty.toString())).contains("is not a checkpoint");
    assertThat(refusal(data, "--lr-steps", "0.9,0.5")).contains("increasing fractions");
    assertThat(refusal(data, "--batch-size", "0")).contains("--batch-size must be at least 1");
    assertThat(refusal(data, "--val", empty.resolve("none").toString()))
        .contains("is not a folder");
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
