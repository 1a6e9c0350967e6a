package io.maskstream.trainer.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.maskstream.trainer.model.StageTimes;
import io.maskstream.trainer.shapes.ShapesConfig;
import io.maskstream.trainer.shapes.ShapesGenerator;
import io.maskstream.trainer.train.Trainer;
import io.maskstream.trainer.train.TrainerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * <p>torchvision runs three times: with its images and masks decoded at every step by two loader
 * worker processes of one thread each (as maskstream's two loader threads do), with everything
 * decoded once up front (no loader work during training), and decoded once with its weights and the
 * backbone's input in channels-last memory format, as maskstream's trainer computes (its best case:
 * oneDNN's convolutions without reorders). maskstream's loader decodes, resizes and batches on its
 * own threads while the model trains, so its "data" stage is the time the training thread waited
 * for a batch; torchvision resizes and batches inside the model's forward ("transform").
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

    // torchvision's variants: its data prepared each step or once, and its best case once more
    // with channels-last convolutions (what maskstream's trainer runs)
    Map<String, List<String>> variants = new LinkedHashMap<>();
    variants.put("decoded each step", List.of("--prepare", "each-step"));
    variants.put("decoded once", List.of("--prepare", "once"));
    variants.put("once, channels-last", List.of("--prepare", "once", "--channels-last"));
    Map<String, JsonNode> torchvision = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> v : variants.entrySet()) {
      List<String> args0 =
          new ArrayList<>(
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
                  "--profile"));
      args0.addAll(v.getValue());
      torchvision.put(v.getKey(), TorchvisionBaseline.run(args0));
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
    System.out.printf(
        Locale.ROOT,
        "tiny, batch 4, 256 px, %d threads, %d iterations (first %d not timed)%n"
            + "  %-48s %.3f s/iteration, last losses %s%n",
        threads,
        iterations,
        skipped,
        "maskstream",
        ours,
        result.state().losses());
    StringBuilder ratios = new StringBuilder("  ratio maskstream / torchvision:");
    for (Map.Entry<String, JsonNode> tv : torchvision.entrySet()) {
      double theirs = tv.getValue().get("seconds_per_iteration").asDouble();
      System.out.printf(
          Locale.ROOT,
          "  %-48s %.3f s/iteration, last losses %s%n",
          tv.getValue().get("trainer").asText() + ", " + tv.getKey(),
          theirs,
          tv.getValue().get("losses"));
      ratios.append(String.format(Locale.ROOT, " %.2f (%s)", ours / theirs, tv.getKey()));
    }
    System.out.println(ratios);
    printStages(stages.secondsPer(iterations - skipped), torchvision);
  }

  /** The seconds per iteration of each stage, maskstream beside each torchvision run. */
  private static void printStages(Map<String, Double> ours, Map<String, JsonNode> torchvision) {
    Set<String> names = new LinkedHashSet<>(ours.keySet());
    List<String> columns = new ArrayList<>(List.of("MASKSTREAM"));
    List<JsonNode> runs = new ArrayList<>();
    for (Map.Entry<String, JsonNode> tv : torchvision.entrySet()) {
      tv.getValue().get("stages").fieldNames().forEachRemaining(names::add);
      columns.add("TV " + (char) ('A' + runs.size()));
      runs.add(tv.getValue().get("stages"));
    }
    StringBuilder legend = new StringBuilder("  torchvision columns:");
    int c = 0;
    for (String name : torchvision.keySet()) {
      legend.append(String.format(" TV %c = %s;", (char) ('A' + c++), name));
    }
    System.out.println(legend);
    StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "  %-14s", "STAGE"));
    columns.forEach(col -> header.append(String.format(Locale.ROOT, " %11s", col)));
    System.out.println(header);
    double[] sums = new double[columns.size()];
    for (String name : names) {
      double[] row = new double[columns.size()];
      row[0] = ours.getOrDefault(name, Double.NaN);
      for (int i = 0; i < runs.size(); i++) {
        row[i + 1] = runs.get(i).path(name).asDouble(Double.NaN);
      }
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-14s", name));
      for (int i = 0; i < row.length; i++) {
        line.append(
            Double.isNaN(row[i])
                ? String.format(Locale.ROOT, "%12s", "-")
                : String.format(Locale.ROOT, " %11.4f", row[i]));
        sums[i] += Double.isNaN(row[i]) ? 0 : row[i];
      }
      System.out.println(line);
    }
    StringBuilder total = new StringBuilder(String.format(Locale.ROOT, "  %-14s", "sum"));
    for (double sum : sums) {
      total.append(String.format(Locale.ROOT, " %11.4f", sum));
    }
    System.out.println(total);
  }
}
