package io.maskstream.trainer.shapes;

import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.trainer.coco.CocoFile;
import io.maskstream.trainer.coco.CocoJson;
import io.maskstream.trainer.coco.CocoResult;
import io.maskstream.trainer.coco.Segmentation;
import io.maskstream.trainer.data.CocoDataset;
import io.maskstream.trainer.data.Instance;
import io.maskstream.trainer.data.Sample;
import io.maskstream.trainer.eval.CocoEvaluator;
import io.maskstream.trainer.eval.CocoResults;
import io.maskstream.trainer.eval.EvalSummary;
import io.maskstream.trainer.eval.IouType;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShapesGeneratorTest {
  static final ShapesGenerator GENERATOR = new ShapesGenerator(ShapesConfig.defaults());
  @TempDir static Path tmp;
  static Path dataset;

  @BeforeAll
  static void generate() throws IOException {
    dataset = tmp.resolve("a");
    GENERATOR.writeDataset(dataset, 16, 42);
  }

  @Test
  void writesADatasetTheLoaderAccepts() {
    CocoDataset ds = CocoDataset.load(dataset, false);
    assertThat(ds.samples()).hasSize(16);
    assertThat(ds.skippedAnnotations()).isZero();
    assertThat(ds.categories()).hasSize(ShapeKind.values().length);
    assertThat(ds.samples().stream().mapToInt(Sample::width).distinct().count()).isGreaterThan(1);
    assertThat(ds.samples().stream().mapToInt(s -> s.instances().size()).sum()).isGreaterThan(16);
    Set<Integer> labels = new HashSet<>();
    ds.samples().forEach(s -> s.instances().forEach(i -> labels.add(i.label())));
    assertThat(labels).hasSizeGreaterThan(3);
  }

  @Test
  void masksAreExactlyTheDrawnPixels() throws IOException {
    CocoDataset ds = CocoDataset.load(dataset, false);
    int occluded = 0;
    for (int i = 0; i < ds.samples().size(); i++) {
      Sample sample = ds.samples().get(i);
      ShapesImage drawn = GENERATOR.image(42, i);
      BufferedImage png = sample.readRgb();
      assertThat(sample.instances()).hasSameSizeAs(drawn.objects());
      byte[] owner = new byte[sample.width() * sample.height()];
      for (int k = 0; k < sample.instances().size(); k++) {
        Instance instance = sample.instances().get(k);
        ShapesObject object = drawn.objects().get(k);
        assertThat(instance.categoryId()).isEqualTo(object.kind().categoryId());
        byte[] mask = instance.mask().decodeRowMajor();
        for (int p = 0; p < mask.length; p++) {
          if (mask[p] == 0) {
            continue;
          }
          assertThat(owner[p]).as("masks overlap in image %d", i).isZero();
          owner[p] = (byte) (k + 1);
          int x = p % sample.width();
          int y = p / sample.width();
          assertThat(png.getRGB(x, y) & 0xffffff).isEqualTo(object.color());
        }
        // occluded: the object's colour shows nowhere outside its mask inside its box
        double[] box = instance.box();
        for (int y = (int) box[1]; y < (int) box[3]; y++) {
          for (int x = (int) box[0]; x < (int) box[2]; x++) {
            if (mask[y * sample.width() + x] == 0
                && (png.getRGB(x, y) & 0xffffff) == object.color()) {
              occluded++; // a background pixel of the same colour: possible, counted
            }
          }
        }
      }
    }
    assertThat(occluded).isLessThan(50);
  }

  @Test
  void groundTruthAsResultsScoresPerfectAp() {
    CocoFile gt = CocoJson.readAnnotations(dataset.resolve("annotations.json"));
    List<CocoResult> results = new ArrayList<>();
    for (var ann : gt.annotations()) {
      Segmentation.CompressedRle rle = (Segmentation.CompressedRle) ann.segmentation();
      results.add(
          new CocoResult(
              results.size(), ann.imageId(), ann.categoryId(), 1.0, ann.bbox(), rle, List.of()));
    }
    CocoResults detections = CocoResults.of(results, gt, "ground truth");
    for (IouType type : List.of(IouType.BBOX, IouType.SEGM)) {
      EvalSummary summary = CocoEvaluator.evaluate(gt, detections, type);
      assertThat(summary.stat(0)).as(type + " AP").isEqualTo(1.0);
      assertThat(summary.stat(1)).as(type + " AP50").isEqualTo(1.0);
      assertThat(summary.stat(8)).as(type + " AR100").isEqualTo(1.0);
    }
  }

  @Test
  void keypointsAreEachObjectsExtremePointsOnTheSameImagesAndScorePerfectOks() throws IOException {
    Path withKeypoints = tmp.resolve("keypoints");
    new ShapesGenerator(ShapesConfig.defaults(), true).writeDataset(withKeypoints, 16, 42);
    for (Path file : tree(dataset)) {
      if (!file.toString().endsWith(".json")) {
        assertThat(Files.readAllBytes(withKeypoints.resolve(file)))
            .as(file.toString())
            .isEqualTo(Files.readAllBytes(dataset.resolve(file)));
      }
    }
    CocoFile gt = CocoJson.readAnnotations(withKeypoints.resolve("annotations.json"));
    int visible = 0;
    int hidden = 0;
    List<CocoResult> results = new ArrayList<>();
    for (var ann : gt.annotations()) {
      double[] k = ann.keypoints();
      assertThat(k).hasSize(12);
      double[] b = ann.bbox();
      // top, right, bottom, left: the coordinate each one is the extreme of, and the box's side
      double[][] sides = {{k[1], b[1]}, {k[3], b[0] + b[2]}, {k[7], b[1] + b[3]}, {k[9], b[0]}};
      int labelled = 0;
      for (int j = 0; j < 4; j++) {
        double v = k[3 * j + 2];
        labelled += v > 0 ? 1 : 0;
        if (v == 2) {
          // not hidden: the object's visible box reaches its extreme point, give or take a
          // sharp tip's last pixels
          assertThat(sides[j][0])
              .as("keypoint %d of %s", j, ann.describe())
              .isCloseTo(sides[j][1], org.assertj.core.api.Assertions.within(2.5));
          visible++;
        } else if (v == 1) {
          hidden++;
        }
      }
      assertThat(ann.numKeypoints()).isEqualTo(labelled);
      results.add(
          new CocoResult(
              results.size(), ann.imageId(), ann.categoryId(), 1.0, null, null, k, List.of()));
    }
    assertThat(visible).isGreaterThan(3 * gt.annotations().size());
    assertThat(hidden).as("occluded extreme points").isPositive();
    EvalSummary oks =
        CocoEvaluator.evaluate(
            gt,
            CocoResults.of(results, gt, "ground truth"),
            IouType.KEYPOINTS,
            new double[] {0.05, 0.05, 0.05, 0.05});
    assertThat(oks.stat(0)).as("keypoint AP").isEqualTo(1.0);
  }

  @Test
  void theSameSeedGivesTheSameFilesAndAnotherSeedOthers() throws IOException {
    Path again = tmp.resolve("again");
    Path other = tmp.resolve("other");
    GENERATOR.writeDataset(again, 16, 42);
    GENERATOR.writeDataset(other, 16, 43);
    assertThat(tree(again)).isEqualTo(tree(dataset));
    for (Path file : tree(dataset)) {
      assertThat(Files.readAllBytes(again.resolve(file)))
          .as(file.toString())
          .isEqualTo(Files.readAllBytes(dataset.resolve(file)));
    }
    assertThat(Files.readAllBytes(other.resolve("annotations.json")))
        .isNotEqualTo(Files.readAllBytes(dataset.resolve("annotations.json")));
  }

  @Test
  void hiddenObjectsAreDroppedAndOccludedOnesKeepTheirVisiblePart() {
    // a big square fully over a small circle, and a triangle half covered by the square
    List<ShapesGenerator.Placed> placed =
        List.of(
            new ShapesGenerator.Placed(ShapeKind.CIRCLE, 50, 50, 8, 0, 0xff0000),
            new ShapesGenerator.Placed(ShapeKind.TRIANGLE, 80, 50, 20, 0, 0x00ff00),
            new ShapesGenerator.Placed(ShapeKind.SQUARE, 55, 50, 30, 0, 0x0000ff));
    int[] background = new int[120 * 100];
    ShapesImage image = GENERATOR.compose(placed, background, 120, 100, true);
    assertThat(image.objects())
        .extracting(ShapesObject::kind)
        .containsExactly(ShapeKind.TRIANGLE, ShapeKind.SQUARE);
    long triangleAlone =
        GENERATOR
            .compose(List.of(placed.get(1)), background, 120, 100, true)
            .objects()
            .get(0)
            .mask()
            .area();
    assertThat(image.objects().get(0).mask().area()).isPositive().isLessThan(triangleAlone);
  }

  static Set<Path> tree(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      Set<Path> out = new HashSet<>();
      files.filter(Files::isRegularFile).forEach(f -> out.add(root.relativize(f)));
      return out;
    }
  }
}
