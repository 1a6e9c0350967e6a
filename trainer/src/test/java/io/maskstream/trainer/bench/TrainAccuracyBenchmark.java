package io.maskstream.trainer.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.maskstream.schemas.models.ModelFile;
import io.maskstream.trainer.coco.CocoFile;
import io.maskstream.trainer.coco.CocoJson;
import io.maskstream.trainer.eval.CocoEvaluator;
import io.maskstream.trainer.eval.CocoResults;
import io.maskstream.trainer.eval.EvalSummary;
import io.maskstream.trainer.eval.IouType;
import io.maskstream.trainer.export.ExportInfo;
import io.maskstream.trainer.export.OnnxExporter;
import io.maskstream.trainer.shapes.ShapesConfig;
import io.maskstream.trainer.shapes.ShapesGenerator;
import io.maskstream.trainer.train.Preset;
import io.maskstream.trainer.train.Trainer;
import io.maskstream.trainer.train.TrainerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Box and mask AP on shapes data (1500 training, 200 validation images) after the same training
 * time, for maskstream's trainer and for torchvision training the same {@code tiny} network with
 * the same recipe; both sets of detections are measured by the same COCO evaluator.
 *
 * <p>Usage, from {@code trainer/} with the test classpath: {@code java -cp ...
 * io.maskstream.trainer.bench.TrainAccuracyBenchmark [minutes=20] [threads=2] [model.onnx|-]
 * [keypoints]}. It takes twice the minutes plus the validations. With {@code keypoints} the data
 * are {@code shapes --keypoints} and both networks get the tiny keypoint branch; keypoint AP (OKS,
 * sigma 0.05 per keypoint) is printed too.
 */
public final class TrainAccuracyBenchmark {
  private TrainAccuracyBenchmark() {}

  /** Runs the benchmark and prints the figures. */
  public static void main(String[] args) throws Exception {
    double minutes = args.length > 0 ? Double.parseDouble(args[0]) : 20;
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    boolean keypoints = java.util.Arrays.asList(args).contains("keypoints");
    Path dir = Files.createTempDirectory("train-accuracy");
    Path train = dir.resolve("train");
    Path val = dir.resolve("val");
    ShapesGenerator shapes = new ShapesGenerator(ShapesConfig.defaults(), keypoints);
    shapes.writeDataset(train, 1500, 1);
    shapes.writeDataset(val, 200, 2);

    TrainerConfig config =
        TrainerConfig.builder(train, dir.resolve("model.onnx"))
            .validation(val)
            .time(Duration.ofMillis((long) (minutes * 60_000)))
            .threads(threads, 2)
            .every(Integer.MAX_VALUE, Integer.MAX_VALUE)
            .build();
    Trainer.Result ours = new Trainer(config).run();
    if (args.length > 2 && !args[2].equals("-") && !args[2].equals("keypoints")) {
      OnnxExporter.export(
          ours.model(),
          new ExportInfo(
              "shapes-tiny",
              Preset.TINY.label(),
              ours.classNames(),
              Map.of(
                  ModelFile.ITERATIONS_KEY, Long.toString(ours.state().iteration()),
                  ModelFile.BOX_AP_KEY, Double.toString(ours.validation().boxAp()),
                  ModelFile.MASK_AP_KEY, Double.toString(ours.validation().maskAp()))),
          Path.of(args[2]));
    }
    ours.model().close();

    Path results = dir.resolve("torchvision-results.json");
    JsonNode torchvision =
        TorchvisionBaseline.run(
            List.of(
                "--data", train.toString(),
                "--minutes", Double.toString(minutes),
                "--threads", Integer.toString(threads),
                "--batch-size", "4",
                "--val", val.toString(),
                "--results", results.toString()));
    CocoFile groundTruth = CocoJson.readAnnotations(val.resolve("annotations.json"));
    CocoResults detections = CocoResults.read(results, groundTruth);
    EvalSummary box = CocoEvaluator.evaluate(groundTruth, detections, IouType.BBOX);
    EvalSummary mask = CocoEvaluator.evaluate(groundTruth, detections, IouType.SEGM);
    if (keypoints) {
      EvalSummary points =
          CocoEvaluator.evaluate(
              groundTruth, detections, IouType.KEYPOINTS, CocoEvaluator.sigmasFor(4));
      System.out.printf(
          Locale.ROOT,
          "keypoint AP (sigma 0.05): maskstream %.4f, torchvision %.4f%n",
          ours.validation().keypointAp(),
          points.stat(0));
    }

    System.out.printf(
        Locale.ROOT,
        "tiny, batch 4, %.1f minutes on 1500 shapes images, %d threads; AP on 200 others%n"
            + "  maskstream   %d iterations: box AP %.4f, mask AP %.4f (AP50 %.4f / %.4f)%n"
            + "  %s  %d iterations: box AP %.4f, mask AP %.4f (AP50 %.4f / %.4f)%n"
            + "  difference maskstream - torchvision: box %+.4f, mask %+.4f%n",
        minutes,
        threads,
        ours.state().iteration(),
        ours.validation().boxAp(),
        ours.validation().maskAp(),
        ours.validation().box().stat(1),
        ours.validation().mask().stat(1),
        torchvision.get("trainer").asText(),
        torchvision.get("iterations").asInt(),
        box.stat(0),
        mask.stat(0),
        box.stat(1),
        mask.stat(1),
        ours.validation().boxAp() - box.stat(0),
        ours.validation().maskAp() - mask.stat(0));
  }
}
