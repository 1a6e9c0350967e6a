package io.maskstream.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.maskstream.schemas.cli.UserException;
import io.maskstream.trainer.engine.Torch;
import io.maskstream.trainer.model.MaskRcnn;
import io.maskstream.trainer.shapes.ShapesConfig;
import io.maskstream.trainer.shapes.ShapesGenerator;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training end to end on small shapes datasets: it learns, and it resumes exactly. */
class TrainerTest {
  /** Small images with one or two objects: quick to train on. */
  static final ShapesGenerator SMALL =
      new ShapesGenerator(new ShapesConfig(128, 128, 1, 2, 60, 64, 64, 10));

  @TempDir static Path shared;
  static Path fourImages;

  @TempDir Path dir;

  @BeforeAll
  static void generate() throws IOException {
    Torch.load();
    fourImages = shared.resolve("four");
    SMALL.writeDataset(fourImages, 4, 7);
  }

  static TrainerConfig config(Path data, Path validation, Path out, long iterations, double lr) {
    return TrainerConfig.builder(data, out.resolve("model.onnx"))
        .validation(validation)
        .checkpoints(out.resolve("checkpoints"))
        .iterations(iterations)
        .batchSize(2)
        .schedule(
            new LrSchedule(
                lr,
                (int) Math.min(20, iterations / 5),
                0.001,
                LrSchedule.TORCHVISION_MILESTONES,
                0.1))
        .seed(3)
        .threads(2, 1)
        .every(1_000_000, 1_000_000)
        .build();
  }

  @Test
  void overfitsAFewImages() throws IOException {
    List<Double> totals = new ArrayList<>();
    Trainer trainer =
        new Trainer(
            config(fourImages, fourImages, dir, 160, 0.01),
            (iteration, losses) ->
                totals.add(losses.values().stream().mapToDouble(Double::doubleValue).sum()));
    Trainer.Result result = trainer.run();
    try {
      double first = mean(totals.subList(0, 10));
      double last = mean(totals.subList(totals.size() - 10, totals.size()));
      assertThat(last)
          .as("mean loss of the last 10 iterations against the first 10")
          .isLessThan(0.4 * first);
      // it finds the objects it trained on: AP at IoU 0.5 for boxes and masks
      assertThat(result.validation().box().stat(1)).isGreaterThan(0.9);
      assertThat(result.validation().mask().stat(1)).isGreaterThan(0.9);
      assertThat(result.state().bestIteration()).isPositive();
      assertThat(Checkpoint.readState(trainer.best()).bestMaskAp())
          .isEqualTo(result.state().bestMaskAp());
      assertThat(Checkpoint.readState(trainer.last()).iteration()).isEqualTo(160);
    } finally {
      result.model().close();
    }
  }

  @Test
  void resumesExactlyWhereItStopped() throws IOException {
    Map<String, Tensor> expected = new LinkedHashMap<>();
    try (MaskRcnn model =
        new Trainer(config(fourImages, null, dir.resolve("a"), 8, 0.01)).run().model()) {
      model.stateDict().forEach((k, v) -> expected.put(k, v.clone()));
    }
    AtomicReference<Trainer> running = new AtomicReference<>();
    TrainerConfig interrupted = config(fourImages, null, dir.resolve("b"), 8, 0.01);
    Trainer stopping =
        new Trainer(
            interrupted,
            (iteration, losses) -> {
              if (iteration == 3) {
                running.get().requestStop();
              }
            });
    running.set(stopping);
    Trainer.Result stopped = stopping.run();
    stopped.model().close();
    assertThat(stopped.stopped()).isTrue();
    assertThat(Checkpoint.readState(stopping.last()).iteration()).isEqualTo(3);

    try (MaskRcnn model =
        new Trainer(interrupted.toBuilder().resume(stopping.last()).build()).run().model()) {
      Map<String, Tensor> actual = model.stateDict();
      assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
      for (Map.Entry<String, Tensor> e : expected.entrySet()) {
        assertThat(torch.allclose(actual.get(e.getKey()), e.getValue(), 0, 1e-6, false))
            .as(e.getKey())
            .isTrue();
      }
      // the run did change the weights: the comparison is not between two initialisations
      try (MaskRcnn initial =
          Preset.TINY.create(new SplittableRandom(3), stopped.classNames().size())) {
        Tensor w = initial.stateDict().get("roi_heads.box_predictor.cls_score.weight");
        assertThat(torch.allclose(w, actual.get("roi_heads.box_predictor.cls_score.weight")))
            .isFalse();
      }
    } finally {
      expected.values().forEach(Tensor::close);
    }
  }

  @Test
  void refusesToResumeAnotherRun() throws IOException {
    TrainerConfig config = config(fourImages, null, dir, 1, 0.01);
    new Trainer(config).run().model().close();
    Path last = config.checkpoints().resolve("last");
    TrainerConfig.Builder resuming = config.toBuilder().resume(last).iterations(2);
    assertThatThrownBy(() -> new Trainer(resuming.preset(Preset.R18_FPN).build()).run())
        .isInstanceOf(UserException.class)
        .hasMessageContaining("give --preset tiny");
    assertThatThrownBy(() -> new Trainer(resuming.preset(Preset.TINY).seed(4).build()).run())
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--seed 3");
    assertThatThrownBy(() -> new Trainer(resuming.seed(3).resume(dir).build()).run())
        .isInstanceOf(UserException.class)
        .hasMessageContaining("is not a checkpoint");
  }

  @Test
  void refusesAnEmptyBudgetAndBothBudgets() {
    TrainerConfig c = config(fourImages, null, dir, 1, 0.01);
    assertThatThrownBy(() -> new Trainer(c.toBuilder().budget(null, null).build()))
        .hasMessageContaining("--iterations N or --minutes N");
    assertThatThrownBy(() -> new Trainer(c.toBuilder().budget(5L, Duration.ofMinutes(1)).build()))
        .hasMessageContaining("--iterations N or --minutes N");
  }

  static double mean(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
  }
}
