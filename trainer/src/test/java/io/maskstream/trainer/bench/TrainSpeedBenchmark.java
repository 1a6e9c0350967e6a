package io.maskstream.trainer.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.maskstream.trainer.model.StageTimes;
import io.maskstream.trainer.shapes.ShapesConfig;
import io.maskstream.trainer.shapes.ShapesGenerator;
import io.maskstream.trainer.train.Trainer;
import io.maskstream.trainer.train.TrainerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Seconds per training iteration of the {@code tiny} preset (batch 4, images 192..320 px resized to
 * 256, 2 compute threads), for maskstream's trainer and for torchvision training the same network
 * on the same images in the same run, with where each iteration's time goes, stage by stage.
 *
 * <p>torchvision runs twice: with its images and masks decoded at every step by two loader worker
 * processes of one thread each (as maskstream's two loader threads do), and with everything decoded
 * once up front (no loader work during training: its best case). maskstream's loader decodes,
 * resizes and batches on its own threads while the model trains, so its "data" stage is the time
 * the training thread waited for a batch; torchvision resizes and batches inside the model's
 * forward ("transform").
 *
 * <p>Usage, from {@code trainer/} with the test classpath: {@code java -cp ...
 * io.maskstream.trainer.bench.TrainSpeedBenchmark [iterations=40] [skipped=5] [threads=2]}.
 */
public final class TrainSpeedBenchmark {
  private TrainSpeedBenchmark() {}

  /** Runs the benchmark and prints the figures. */
  public static void main(String[] args) throws Exception {
    int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 40;
    int skipped = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
    Path dir = Files.createTempDirectory("train-speed");
    Path data = dir.resolve("shapes");
    new ShapesGenerator(ShapesConfig.defaults()).writeDataset(data, 64, 1);

    Map<String, JsonNode> torchvision = new LinkedHashMap<>();
    for (String prepare : List.of("each-step", "once")) {
      torchvision.put(
          prepare,
          TorchvisionBaseline.run(
              List.of(
                  "--data",
                  data.toString(),
                  "--iterations",
                  Integer.toString(iterations),
                  "--skip",
                  Integer.toString(skipped),
                  "--threads",
                  Integer.toString(threads),
                  "--batch-size",
                  "4",
                  "--prepare",
                  prepare,
                  "--profile")));
    }

    long[] timed = new long[2];
    StageTimes stages = StageTimes.recording();
    TrainerConfig config =
        TrainerConfig.builder(data, dir.resolve("model.onnx"))
            .iterations(iterations)
            .threads(threads, 2)
            .every(Integer.MAX_VALUE, Integer.MAX_VALUE)
            .build();
    Trainer trainer =
        new Trainer(
            config,
            (iteration, losses) -> {
              if (iteration == skipped) {
                timed[0] = System.nanoTime();
                stages.reset();
              }
              timed[1] = System.nanoTime();
            },
            stages);
    Trainer.Result result = trainer.run();
    // timed from the end of iteration `skipped` to the end of the last, as the script does
    double ours = (timed[1] - timed[0]) / 1e9 / (iterations - skipped);
    result.model().close();
    JsonNode eachStep = torchvision.get("each-step");
    JsonNode once = torchvision.get("once");
    System.out.printf(
        Locale.ROOT,
        "tiny, batch 4, 256 px, %d threads, %d iterations (first %d not timed)%n"
            + "  maskstream                       %.3f s/iteration, last losses %s%n"
            + "  %s, decoded each step  %.3f s/iteration, last losses %s%n"
            + "  %s, decoded once       %.3f s/iteration, last losses %s%n"
            + "  ratio maskstream / torchvision: %.2f (decoded each step), %.2f (decoded once)%n",
        threads,
        iterations,
        skipped,
        ours,
        result.state().losses(),
        eachStep.get("trainer").asText(),
        eachStep.get("seconds_per_iteration").asDouble(),
        eachStep.get("losses"),
        once.get("trainer").asText(),
        once.get("seconds_per_iteration").asDouble(),
        once.get("losses"),
        ours / eachStep.get("seconds_per_iteration").asDouble(),
        ours / once.get("seconds_per_iteration").asDouble());
    printStages(stages.secondsPer(iterations - skipped), eachStep, once);
  }

  /** The seconds per iteration of each stage, maskstream beside both torchvision runs. */
  private static void printStages(Map<String, Double> ours, JsonNode eachStep, JsonNode once) {
    Set<String> names = new LinkedHashSet<>(ours.keySet());
    eachStep.get("stages").fieldNames().forEachRemaining(names::add);
    System.out.printf(
        Locale.ROOT, "  %-14s %11s %11s %11s%n", "STAGE", "MASKSTREAM", "TV EACH", "TV ONCE");
    double[] sums = new double[3];
    for (String name : names) {
      double[] row = {
        ours.getOrDefault(name, Double.NaN),
        eachStep.get("stages").path(name).asDouble(Double.NaN),
        once.get("stages").path(name).asDouble(Double.NaN)
      };
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-14s", name));
      for (int i = 0; i < row.length; i++) {
        line.append(
            Double.isNaN(row[i]) ? String.format("%12s", "-") : String.format(" %11.4f", row[i]));
        sums[i] += Double.isNaN(row[i]) ? 0 : row[i];
      }
      System.out.println(line);
    }
    System.out.printf(
        Locale.ROOT, "  %-14s %11.4f %11.4f %11.4f%n", "sum", sums[0], sums[1], sums[2]);
  }
}
