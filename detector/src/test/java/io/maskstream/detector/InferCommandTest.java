package io.maskstream.detector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.schemas.cli.UserException;
import io.maskstream.schemas.rle.CocoRle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class InferCommandTest {
  private static final String THRESHOLD = "0.1";

  @Test
  void imagesFolderGivesCocoResultsMatchingTorchvision(@TempDir Path dir) throws Exception {
    Path images = Files.createDirectories(dir.resolve("images"));
    for (int i = 0; i < 4; i++) {
      Files.copy(Fixtures.path("image" + i + ".png"), images.resolve("image" + i + ".png"));
    }
    Path out = dir.resolve("results.json");
    assertThat(run("--images", images.toString(), "--out", out.toString())).isZero();
    JsonNode results = new ObjectMapper().readTree(out.toFile());
    JsonNode eager = Fixtures.json("torchvision-eager.json").get("images");
    for (int i = 0; i < 4; i++) {
      List<JsonNode> mine = forImage(results, i);
      int expected = 0;
      int borderline = 0;
      for (JsonNode d : eager.get(i).get("detections")) {
        double s = d.get("score").asDouble();
        expected += s >= 0.101 ? 1 : 0;
        borderline += s >= 0.099 && s < 0.101 ? 1 : 0;
      }
      assertThat(mine.size()).isBetween(expected, expected + borderline);
      for (JsonNode r : mine) {
        JsonNode seg = r.get("segmentation");
        assertThat(seg.get("size").get(0).asInt()).isEqualTo(eager.get(i).get("height").asInt());
        assertThat(seg.get("size").get(1).asInt()).isEqualTo(eager.get(i).get("width").asInt());
        CocoRle.fromString(
            seg.get("size").get(0).asInt(),
            seg.get("size").get(1).asInt(),
            seg.get("counts").asText());
        assertThat(r.get("bbox")).hasSize(4);
        assertThat(r.get("category_id").asInt()).isBetween(1, 3);
        assertThat(r.get("score").asDouble()).isGreaterThanOrEqualTo(0.1);
      }
    }
  }

  @Test
  void datasetImageIdsComeFromItsAnnotations(@TempDir Path dir) throws Exception {
    Path images = Files.createDirectories(dir.resolve("images"));
    Files.copy(Fixtures.path("image1.png"), images.resolve("a.png"));
    Files.copy(Fixtures.path("image2.png"), images.resolve("b.png"));
    Files.writeString(
        dir.resolve("annotations.json"),
        "{\"images\":[{\"id\":7,\"file_name\":\"a.png\",\"width\":320,\"height\":240},"
            + "{\"id\":9,\"file_name\":\"b.png\",\"width\":200,\"height\":150}],"
            + "\"annotations\":[],\"categories\":[]}");
    Path out = dir.resolve("results.json");
    assertThat(run("--data", dir.toString(), "--out", out.toString())).isZero();
    JsonNode results = new ObjectMapper().readTree(out.toFile());
    assertThat(results).isNotEmpty();
    for (JsonNode r : results) {
      assertThat(r.get("image_id").asInt()).isIn(7, 9);
    }
    assertThat(forImage(results, 7)).isNotEmpty();
  }

  @Test
  void aDatasetKeepsDetectionsDownToTorchvisionsEvaluationThresholdAndImagesTheShownOne(
      @TempDir Path dir) throws Exception {
    Path images = Files.createDirectories(dir.resolve("images"));
    for (int i = 0; i < 3; i++) {
      Files.copy(Fixtures.path("image" + i + ".png"), images.resolve("image" + i + ".png"));
    }
    JsonNode eager = Fixtures.json("torchvision-eager.json").get("images");
    StringBuilder list = new StringBuilder();
    for (int i = 0; i < 3; i++) {
      list.append(i == 0 ? "" : ",")
          .append(
              String.format(
                  "{\"id\":%d,\"file_name\":\"images/image%d.png\",\"width\":%d,\"height\":%d}",
                  i, i, eager.get(i).get("width").asInt(), eager.get(i).get("height").asInt()));
    }
    Files.writeString(
        dir.resolve("annotations.json"),
        "{\"images\":[" + list + "],\"annotations\":[],\"categories\":[]}");
    Path evaluated = dir.resolve("evaluated.json");
    Path shown = dir.resolve("shown.json");
    String model = Fixtures.model().toString();
    assertThat(
            new CommandLine(new InferCommand())
                .execute(
                    "--model",
                    model,
                    "--device",
                    "cpu",
                    "--data",
                    dir.toString(),
                    "--out",
                    evaluated.toString()))
        .isZero();
    assertThat(
            new CommandLine(new InferCommand())
                .execute(
                    "--model",
                    model,
                    "--device",
                    "cpu",
                    "--images",
                    images.toString(),
                    "--out",
                    shown.toString()))
        .isZero();
    JsonNode low = new ObjectMapper().readTree(evaluated.toFile());
    JsonNode high = new ObjectMapper().readTree(shown.toFile());
    int lowExpected = 0;
    int highExpected = 0;
    for (int i = 0; i < 3; i++) {
      for (JsonNode d : eager.get(i).get("detections")) {
        lowExpected += d.get("score").asDouble() >= 0.05 ? 1 : 0;
        highExpected += d.get("score").asDouble() >= 0.5 ? 1 : 0;
      }
    }
    // torchvision keeps 0.05 and up: all its detections of these images score below 0.5
    assertThat(lowExpected).isEqualTo(150);
    assertThat(low).hasSize(lowExpected);
    assertThat(high).hasSize(highExpected);
    for (JsonNode r : low) {
      assertThat(r.get("score").asDouble()).isGreaterThanOrEqualTo(0.05);
    }
  }

  @Test
  void videoFramesAreNumberedFromZeroAndMatchTheImage(@TempDir Path dir) throws Exception {
    Path video = dir.resolve("clip.mkv");
    try (Mat image = opencv_imgcodecs.imread(Fixtures.path("image1.png").toString());
        OpenCVFrameConverter.ToMat converter = new OpenCVFrameConverter.ToMat();
        FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(video.toFile(), 320, 240)) {
      recorder.setFormat("matroska");
      recorder.setVideoCodec(avcodec.AV_CODEC_ID_FFV1); // lossless: frames equal the image
      recorder.setPixelFormat(avutil.AV_PIX_FMT_BGR0);
      recorder.setFrameRate(5);
      recorder.start();
      for (int i = 0; i < 3; i++) {
        recorder.record(converter.convert(image), avutil.AV_PIX_FMT_BGR24);
      }
      recorder.stop();
    }
    Path fromVideo = dir.resolve("video.json");
    assertThat(run("--video", video.toString(), "--out", fromVideo.toString())).isZero();
    Path images = Files.createDirectories(dir.resolve("images"));
    Files.copy(Fixtures.path("image1.png"), images.resolve("x.png"));
    Path fromImage = dir.resolve("image.json");
    assertThat(run("--images", images.toString(), "--out", fromImage.toString())).isZero();
    JsonNode v = new ObjectMapper().readTree(fromVideo.toFile());
    JsonNode im = new ObjectMapper().readTree(fromImage.toFile());
    assertThat(im).isNotEmpty();
    for (int frame = 0; frame < 3; frame++) {
      List<JsonNode> got = forImage(v, frame);
      assertThat(got).hasSize(im.size());
      for (int k = 0; k < got.size(); k++) {
        assertThat(got.get(k).get("segmentation")).isEqualTo(im.get(k).get("segmentation"));
      }
    }
  }

  @Test
  void aFolderOfTheSameImageTrackedGivesOneStableIdPerObjectInMotFormat(@TempDir Path dir)
      throws Exception {
    Path images = Files.createDirectories(dir.resolve("images"));
    for (int i = 0; i < 6; i++) {
      Files.copy(Fixtures.path("image1.png"), images.resolve(String.format("f%02d.png", i)));
    }
    Path mot = dir.resolve("tracks.txt");
    assertThat(
            run(
                "--images",
                images.toString(),
                "--out",
                dir.resolve("results.json").toString(),
                "--mot-out",
                mot.toString(),
                "--track-activation-threshold",
                "0.2"))
        .isZero();
    List<String> rows = Files.readAllLines(mot);
    assertThat(rows).isNotEmpty();
    java.util.Map<Integer, java.util.Set<Integer>> idsByFrame = new java.util.TreeMap<>();
    for (String row : rows) {
      String[] f = row.split(",");
      assertThat(f).hasSize(10);
      idsByFrame
          .computeIfAbsent(Integer.parseInt(f[0]), k -> new java.util.TreeSet<>())
          .add(Integer.parseInt(f[1]));
    }
    // confirmed on the second frame (MOT frames from 1), then the same ids on every frame
    assertThat(idsByFrame.keySet()).containsExactly(2, 3, 4, 5, 6);
    assertThat(new java.util.HashSet<>(idsByFrame.values())).hasSize(1);
    InferCommand untracked = new InferCommand();
    new CommandLine(untracked)
        .parseArgs(
            "--model",
            Fixtures.model().toString(),
            "--images",
            images.toString(),
            "--out",
            dir.resolve("x.json").toString(),
            "--mot-out",
            dir.resolve("m.txt").toString(),
            "--no-track");
    assertThatThrownBy(untracked::call)
        .isInstanceOf(UserException.class)
        .hasMessage("--mot-out needs tracking: drop --no-track");
  }

  @Test
  void badInputIsAOneLineUserError(@TempDir Path dir) {
    InferCommand missingModel = new InferCommand();
    new CommandLine(missingModel)
        .parseArgs(
            "--model",
            dir.resolve("no.onnx").toString(),
            "--images",
            dir.toString(),
            "--out",
            "x.json");
    assertThatThrownBy(missingModel::call)
        .isInstanceOf(UserException.class)
        .hasMessageContaining("does not exist");
    InferCommand emptyFolder = new InferCommand();
    new CommandLine(emptyFolder)
        .parseArgs(
            "--model", Fixtures.model().toString(), "--images", dir.toString(), "--out", "x.json");
    assertThatThrownBy(emptyFolder::call)
        .isInstanceOf(UserException.class)
        .hasMessageContaining("has no .jpg");
    assertThat(new CommandLine(new InferCommand()).execute("--model", "m.onnx")).isEqualTo(2);
  }

  private static int run(String... args) {
    List<String> all =
        new ArrayList<>(
            List.of(
                "--model",
                Fixtures.model().toString(),
                "--device",
                "cpu",
                "--score-threshold",
                THRESHOLD));
    all.addAll(List.of(args));
    return new CommandLine(new InferCommand()).execute(all.toArray(String[]::new));
  }

  private static List<JsonNode> forImage(JsonNode results, int id) {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode r : results) {
      if (r.get("image_id").asInt() == id) {
        out.add(r);
      }
    }
    return out;
  }
}
