package io.maskstream.trainer.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.maskstream.trainer.shapes.ShapesConfig;
import io.maskstream.trainer.shapes.ShapesGenerator;
import io.maskstream.trainer.train.Checkpoint;
import io.maskstream.trainer.train.LrSchedule;
import io.maskstream.trainer.train.Trainer;
import io.maskstream.trainer.train.TrainerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongPredicate;

/**
 * The learning-rate recipes {@code train} could default to, measured: the {@code tiny} network
 * trained from scratch on 1500 shapes images (batch 4) under one budget with each recipe in turn,
 * box and mask AP on 200 others, one table. A recipe is {@code LR/WARMUP} (warm-up in iterations);
 * the decay is the default's (x0.1 at 0.615 and 0.846 of the budget) for all.
 *
 * <p>Usage, from {@code trainer/} with the test classpath: {@code java -cp ...
 * io.maskstream.trainer.bench.TrainRecipeBenchmark BUDGET THREADS [OPTION...] RECIPE...}, BUDGET
 * {@code 5m} (minutes) or {@code 300} (iterations); for example {@code TrainRecipeBenchmark 5m 2
 * 0.005/100 0.01/100 0.02/100 0.04/100}. Options: {@code seed=N} the training seed (initialisation,
 * shuffling, flips, sampling; default 1); {@code init=W.safetensors} every recipe fine-tunes from
 * those weights instead; {@code data=clip} trains on a camera's footage instead of still images:
 * the first 600 frames of one 800-frame shapes clip (one background, moving and occluding objects),
 * AP on its last 200 frames - the data a user fine-tunes a served model on. Each run's last weights
 * are kept ({@code .../last/model.safetensors}, printed) to serve as {@code init=}. It takes the
 * budget once per recipe plus the validations.
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
    Path init = null;
    long seed = 1;
    boolean clip = false;
    int first = 2;
    for (; first < args.length && args[first].contains("="); first++) {
      String[] option = args[first].split("=", 2);
      switch (option[0]) {
        case "init" -> init = Path.of(option[1]);
        case "seed" -> seed = Long.parseLong(option[1]);
        case "data" -> {
          if (!option[1].equals("clip") && !option[1].equals("stills")) {
            throw new IllegalArgumentException("data= takes clip or stills, got " + option[1]);
          }
          clip = option[1].equals("clip");
        }
        default -> throw new IllegalArgumentException("unknown option " + args[first]);
      }
    }
    Path dir = Files.createTempDirectory("train-recipes");
    Path train = dir.resolve("train");
    Path val = dir.resolve("val");
    ShapesGenerator shapes = new ShapesGenerator(ShapesConfig.defaults());
    if (clip) {
      Path footage = dir.resolve("clip");
      shapes.writeClip(footage, 800, 7);
      splitFrames(footage, train, id -> id < 600);
      splitFrames(footage, val, id -> id >= 600);
    } else {
      shapes.writeDataset(train, 1500, 1);
      shapes.writeDataset(val, 200, 2);
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
              .seed(seed)
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
      Trainer trainer = new Trainer(config.build());
      Trainer.Result result = trainer.run();
      result.model().close();
      System.out.println("weights: " + trainer.last().resolve(Checkpoint.MODEL));
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
        "tiny %s, batch 4, budget %s, %d threads, seed %d, %s%n"
            + "| lr / warm-up | iterations | box AP | mask AP |%n|---|---|---|---|%n",
        init == null ? "from scratch" : "fine-tuned from " + init,
        budget,
        threads,
        seed,
        clip
            ? "600 frames of a shapes clip; AP on its next 200"
            : "1500 shapes images; AP on 200 others");
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

  /**
   * Copies the frames of a clip folder ({@code annotations.json} + {@code images/}) whose image id
   * passes {@code keep} into a dataset folder of the same layout.
   */
  private static void splitFrames(Path clip, Path out, LongPredicate keep) throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode coco = (ObjectNode) json.readTree(clip.resolve("annotations.json").toFile());
    Files.createDirectories(out.resolve("images"));
    ArrayNode images = json.createArrayNode();
    for (JsonNode image : coco.get("images")) {
      if (keep.test(image.get("id").asLong())) {
        images.add(image);
        String name = image.get("file_name").asText();
        Files.copy(clip.resolve("images").resolve(name), out.resolve("images").resolve(name));
      }
    }
    ArrayNode annotations = json.createArrayNode();
    for (JsonNode a : coco.get("annotations")) {
      if (keep.test(a.get("image_id").asLong())) {
        annotations.add(a);
      }
    }
    coco.set("images", images);
    coco.set("annotations", annotations);
    json.writeValue(out.resolve("annotations.json").toFile(), coco);
  }
}
