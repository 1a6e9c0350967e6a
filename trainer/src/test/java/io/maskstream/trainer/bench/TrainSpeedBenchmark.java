package io.maskstream.trainer.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.maskstream.trainer.shapes.ShapesConfig;
import io.maskstream.trainer.shapes.ShapesGenerator;
import io.maskstream.trainer.train.Trainer;
import io.maskstream.trainer.train.TrainerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Seconds per training iteration of the {@code tiny} preset (batch 4, images 192..320 px resized to
 * 256, 2 compute threads), for maskstream's trainer and for torchvision training the same network
 * on the same images in the same run.
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

    JsonNode torchvision =
        TorchvisionBaseline.run(
            List.of(
                "--data", data.toString(),
                "--iterations", Integer.toString(iterations),
                "--skip", Integer.toString(skipped),
                "--threads", Integer.toString(threads),
                "--batch-size", "4"));
    double theirs = torchvision.get("seconds_per_iteration").asDouble();

    long[] timed = new long[2];
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
              }
              timed[1] = System.nanoTime();
            });
    Trainer.Result result = trainer.run();
    // timed from the end of iteration `skipped` to the end of the last, as the script does
    double ours = (timed[1] - timed[0]) / 1e9 / (iterations - skipped);
    result.model().close();
    System.out.printf(
        Locale.ROOT,
        "tiny, batch 4, 256 px, %d threads, %d iterations (first %d not timed)%n"
            + "  maskstream   %.3f s/iteration, last losses %s%n"
            + "  %s  %.3f s/iteration, last losses %s%n"
            + "  ratio maskstream / torchvision: %.2f%n",
        threads,
        iterations,
        skipped,
        ours,
        result.state().losses(),
        torchvision.get("trainer").asText(),
        theirs,
        torchvision.get("losses"),
        ours / theirs);
  }
}
