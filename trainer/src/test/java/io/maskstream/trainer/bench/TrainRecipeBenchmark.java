package io.maskstream.trainer.bench;

import io.maskstream.trainer.shapes.ShapesConfig;
import io.maskstream.trainer.shapes.ShapesGenerator;
import io.maskstream.trainer.train.LrSchedule;
import io.maskstream.trainer.train.Trainer;
import io.maskstream.trainer.train.TrainerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The learning-rate recipes {@code train} could default to, measured: the {@code tiny} network
 * trained from scratch on 1500 shapes images (batch 4) under one budget with each recipe in turn,
 * box and mask AP on 200 others, one table. A recipe is {@code LR/WARMUP} (warm-up in iterations);
 * the decay is the default's (x0.1 at 0.615 and 0.846 of the budget) for all.
 *
 * <p>Usage, from {@code trainer/} with the test classpath: {@code java -cp ...
 * io.maskstream.trainer.bench.TrainRecipeBenchmark BUDGET THREADS [init=WEIGHTS] RECIPE...}, BUDGET
 * {@code 5m} (minutes) or {@code 300} (iterations); for example {@code TrainRecipeBenchmark 5m 2
 * 0.005/100 0.01/100 0.02/100 0.04/100}. With {@code init=W.safetensors} every recipe fine-tunes
 * from those weights instead. It takes the budget once per recipe plus the validations.
 */
public final class TrainRecipeBenchmark {
  private TrainRecipeBenchmark() {}

  record Row(String recipe, long iterations, double boxAp, double maskAp) {}

  /** Runs the sweep and prints the table. */
  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println(
          "usage: TrainRecipeBenchmark BUDGET(5m|300) THREADS [init=W] LR/WARMUP...");
      System.exit(2);
    }
    String budget = args[0];
    int threads = Integer.parseInt(args[1]);
    Path dir = Files.createTempDirectory("train-recipes");
    Path train = dir.resolve("train");
    Path val = dir.resolve("val");
    ShapesGenerator shapes = new ShapesGenerator(ShapesConfig.defaults());
    shapes.writeDataset(train, 1500, 1);
    shapes.writeDataset(val, 200, 2);

    Path init = null;
    int first = 2;
    if (args[2].startsWith("init=")) {
      init = Path.of(args[2].substring("init=".length()));
      first = 3;
    }
    List<Row> rows = new ArrayList<>();
    for (int i = first; i < args.length; i++) {
      String[] recipe = args[i].split("/");
      double lr = Double.parseDouble(recipe[0]);
      int warmup = Integer.parseInt(recipe[1]);
      TrainerConfig.Builder config =
          TrainerConfig.builder(train, dir.resolve("model-" + i + ".onnx"))
              .validation(val)
              .batchSize(4)
              .schedule(new LrSchedule(lr, warmup, 0.001, LrSchedule.TORCHVISION_MILESTONES, 0.1))
              .seed(1)
              .threads(threads, 2)
              .every(Integer.MAX_VALUE, Integer.MAX_VALUE);
      if (init != null) {
        config.init(init);
      }
      if (budget.endsWith("m")) {
        config.time(
            Duration.ofMillis(
                (long) (Double.parseDouble(budget.substring(0, budget.length() - 1)) * 60_000)));
      } else {
        config.iterations(Long.parseLong(budget));
      }
      Trainer.Result result = new Trainer(config.build()).run();
      result.model().close();
      Row row =
          new Row(
              args[i],
              result.state().iteration(),
              result.validation().boxAp(),
              result.validation().maskAp());
      rows.add(row);
      System.out.printf(
          Locale.ROOT,
          "%s: %d iterations, box AP %.4f, mask AP %.4f%n",
          row.recipe(),
          row.iterations(),
          row.boxAp(),
          row.maskAp());
    }
    System.out.printf(
        Locale.ROOT,
        "tiny %s, batch 4, budget %s, %d threads, 1500 shapes images; AP on 200 others%n"
            + "| lr / warm-up | iterations | box AP | mask AP |%n|---|---|---|---|%n",
        init == null ? "from scratch" : "fine-tuned from " + init.getFileName(),
        budget,
        threads);
    for (Row r : rows) {
      System.out.printf(
          Locale.ROOT,
          "| %s | %d | %.4f | %.4f |%n",
          r.recipe(),
          r.iterations(),
          r.boxAp(),
          r.maskAp());
    }
  }
}
