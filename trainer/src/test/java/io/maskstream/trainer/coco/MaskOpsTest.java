package io.maskstream.trainer.coco;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.schemas.rle.CocoIou;
import io.maskstream.schemas.rle.CocoRle;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Mask operations against pycocotools' outputs (mask_ops.json) and brute-force pixel counts. */
class MaskOpsTest {
  static JsonNode cases;

  @BeforeAll
  static void load() throws IOException {
    try (InputStream in = MaskOpsTest.class.getResourceAsStream("/coco/mask_ops.json")) {
      cases = new ObjectMapper().readTree(in);
    }
  }

  static double[] doubles(JsonNode n) {
    double[] out = new double[n.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = n.get(i).asDouble();
    }
    return out;
  }

  @Test
  void polygonsRasteriseAsPycocotools() {
    assertThat(cases.get("polygons").size()).isEqualTo(60);
    for (JsonNode c : cases.get("polygons")) {
      int h = c.get("height").asInt();
      int w = c.get("width").asInt();
      List<double[]> rings = new ArrayList<>();
      for (int i = 0; i < c.get("polygons").size(); i++) {
        double[] ring = doubles(c.get("polygons").get(i));
        rings.add(ring);
        assertThat(MaskOps.fromPolygon(ring, h, w).toCompressedString())
            .as("part %d of %s", i, c.get("polygons"))
            .isEqualTo(c.get("parts").get(i).asText());
      }
      CocoRle merged = new Segmentation.Polygons(rings).toRle(h, w);
      assertThat(merged.toCompressedString()).isEqualTo(c.get("merged").asText());
      assertThat(merged.area()).isEqualTo(c.get("area").asLong());
    }
  }

  @Test
  void boxesRasteriseAsPycocotools() {
    for (JsonNode c : cases.get("boxes")) {
      int h = c.get("height").asInt();
      int w = c.get("width").asInt();
      assertThat(MaskOps.fromBox(doubles(c.get("box")), h, w).toCompressedString())
          .as("box %s in %dx%d", c.get("box"), h, w)
          .isEqualTo(c.get("rle").asText());
    }
  }

  @Test
  void maskIouWithCrowdAsPycocotools() {
    for (JsonNode c : cases.get("iou")) {
      int h = c.get("height").asInt();
      int w = c.get("width").asInt();
      List<CocoRle> dt = rles(c.get("dt"), h, w);
      List<CocoRle> gt = rles(c.get("gt"), h, w);
      boolean[] crowd = crowd(c.get("iscrowd"));
      double[][] iou = CocoIou.iou(dt, gt, crowd);
      for (int d = 0; d < dt.size(); d++) {
        for (int g = 0; g < gt.size(); g++) {
          assertThat(iou[d][g]).isEqualTo(c.get("iou").get(d).get(g).asDouble());
        }
      }
    }
  }

  @Test
  void boxIouWithCrowdAsPycocotools() {
    for (JsonNode c : cases.get("box_iou")) {
      double[][] dt = boxes(c.get("dt"));
      double[][] gt = boxes(c.get("gt"));
      double[][] iou = CocoIou.boxIou(dt, gt, crowd(c.get("iscrowd")));
      for (int d = 0; d < dt.length; d++) {
        for (int g = 0; g < gt.length; g++) {
          assertThat(iou[d][g]).isCloseTo(c.get("iou").get(d).get(g).asDouble(), within(1e-12));
        }
      }
    }
  }

  @Test
  void mergeAsPycocotools() {
    for (JsonNode c : cases.get("merge")) {
      int h = c.get("height").asInt();
      int w = c.get("width").asInt();
      List<CocoRle> masks = rles(c.get("masks"), h, w);
      assertThat(MaskOps.merge(masks, false).toCompressedString())
          .isEqualTo(c.get("union").asText());
      assertThat(MaskOps.merge(masks, true).toCompressedString())
          .isEqualTo(c.get("intersection").asText());
    }
  }

  @Test
  void iouEqualsPixelCountsOnRandomMasks() {
    Random random = new Random(7);
    for (int trial = 0; trial < 40; trial++) {
      int h = 1 + random.nextInt(30);
      int w = 1 + random.nextInt(30);
      byte[][] dt = new byte[3][];
      byte[][] gt = new byte[4][];
      for (int i = 0; i < dt.length; i++) {
        dt[i] = randomMask(random, h, w);
      }
      for (int i = 0; i < gt.length; i++) {
        gt[i] = randomMask(random, h, w);
      }
      boolean[] crowd = {false, true, false, true};
      List<CocoRle> dtRle = new ArrayList<>();
      List<CocoRle> gtRle = new ArrayList<>();
      for (byte[] m : dt) {
        dtRle.add(CocoRle.encodeRowMajor(m, h, w));
      }
      for (byte[] m : gt) {
        gtRle.add(CocoRle.encodeRowMajor(m, h, w));
      }
      double[][] iou = CocoIou.iou(dtRle, gtRle, crowd);
      for (int d = 0; d < dt.length; d++) {
        for (int g = 0; g < gt.length; g++) {
          long inter = 0;
          long union = 0;
          long dtArea = 0;
          for (int p = 0; p < h * w; p++) {
            inter += dt[d][p] & gt[g][p];
            union += dt[d][p] | gt[g][p];
            dtArea += dt[d][p];
          }
          double want = inter == 0 ? 0 : (double) inter / (crowd[g] ? dtArea : union);
          assertThat(iou[d][g]).as("trial %d dt %d gt %d", trial, d, g).isEqualTo(want);
        }
      }
      byte[] union = new byte[h * w];
      byte[] inter = new byte[h * w];
      for (int p = 0; p < h * w; p++) {
        union[p] = (byte) (gt[0][p] | gt[1][p] | gt[2][p]);
        inter[p] = (byte) (gt[0][p] & gt[1][p] & gt[2][p]);
      }
      assertThat(MaskOps.merge(gtRle.subList(0, 3), false))
          .isEqualTo(CocoRle.encodeRowMajor(union, h, w));
      assertThat(MaskOps.merge(gtRle.subList(0, 3), true))
          .isEqualTo(CocoRle.encodeRowMajor(inter, h, w));
    }
  }

  @Test
  void handCheckedPolygonAndCrowd() {
    // the square with corners (1,1) and (4,4) covers pixel centres 1..3 in x and y: 9 pixels
    CocoRle square = MaskOps.fromPolygon(new double[] {1, 1, 4, 1, 4, 4, 1, 4}, 6, 6);
    assertThat(square.area()).isEqualTo(9);
    assertThat(square.toBbox()).containsExactly(1, 1, 3, 3);
    // a detection inside a crowd region has IoU 1 with it, whatever the region's size
    CocoRle region = MaskOps.fromBox(new double[] {0, 0, 6, 6}, 6, 6);
    assertThat(CocoIou.iou(List.of(square), List.of(region), new boolean[] {true})[0][0])
        .isEqualTo(1.0);
    assertThat(CocoIou.iou(List.of(square), List.of(region), new boolean[] {false})[0][0])
        .isEqualTo(9.0 / 36);
    assertThat(
            CocoIou.boxIou(
                new double[][] {{0, 0, 2, 2}}, new double[][] {{1, 1, 2, 2}}, new boolean[1])[0][0])
        .isEqualTo(1.0 / 7);
  }

  @Test
  void rejectsMismatchedInput() {
    CocoRle a = CocoRle.fromCounts(2, 2, new int[] {4});
    CocoRle b = CocoRle.fromCounts(3, 2, new int[] {6});
    assertThatThrownBy(() -> MaskOps.merge(List.of(a, b), false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("different sizes");
    assertThatThrownBy(
            () -> new Segmentation.Polygons(List.of(new double[] {1, 2, 3, 4})).toRle(5, 5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 3 points");
  }

  static byte[] randomMask(Random random, int h, int w) {
    byte[] m = new byte[h * w];
    double density = random.nextDouble();
    for (int i = 0; i < m.length; i++) {
      m[i] = (byte) (random.nextDouble() < density ? 1 : 0);
    }
    return m;
  }

  static List<CocoRle> rles(JsonNode strings, int h, int w) {
    List<CocoRle> out = new ArrayList<>();
    for (JsonNode s : strings) {
      out.add(CocoRle.fromString(h, w, s.asText()));
    }
    return out;
  }

  static boolean[] crowd(JsonNode flags) {
    boolean[] out = new boolean[flags.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = flags.get(i).asInt() != 0;
    }
    return out;
  }

  static double[][] boxes(JsonNode n) {
    double[][] out = new double[n.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = doubles(n.get(i));
    }
    return out;
  }
}
