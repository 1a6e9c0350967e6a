package io.maskstream.schemas.rle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every case of pycocotools' real output in {@code rle_cases.json} must match exactly. */
class CocoRleTest {

  record Case(
      String name,
      int height,
      int width,
      int[] counts,
      String compressed,
      long area,
      double[] bbox) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> pycocotoolsCases() throws IOException {
    try (InputStream in = CocoRleTest.class.getResourceAsStream("/rle_cases.json")) {
      JsonNode root = new ObjectMapper().readTree(in);
      List<Case> cases = new ArrayList<>();
      for (JsonNode c : root.get("cases")) {
        int[] counts = new int[c.get("counts").size()];
        for (int i = 0; i < counts.length; i++) {
          counts[i] = c.get("counts").get(i).intValue();
        }
        double[] bbox = new double[4];
        for (int i = 0; i < 4; i++) {
          bbox[i] = c.get("bbox").get(i).doubleValue();
        }
        cases.add(
            new Case(
                c.get("name").asText(),
                c.get("height").intValue(),
                c.get("width").intValue(),
                counts,
                c.get("compressed").asText(),
                c.get("area").longValue(),
                bbox));
      }
      assertThat(cases).hasSizeGreaterThanOrEqualTo(11);
      return cases.stream();
    }
  }

  @ParameterizedTest
  @MethodSource("pycocotoolsCases")
  void compressedStringIsByteIdenticalToPycocotools(Case c) {
    CocoRle rle = CocoRle.fromCounts(c.height(), c.width(), c.counts());
    assertThat(rle.toCompressedString()).isEqualTo(c.compressed());
  }

  @ParameterizedTest
  @MethodSource("pycocotoolsCases")
  void areaAndBboxMatchPycocotools(Case c) {
    CocoRle rle = CocoRle.fromCounts(c.height(), c.width(), c.counts());
    assertThat(rle.area()).isEqualTo(c.area());
    assertThat(rle.toBbox()).containsExactly(c.bbox());
  }

  @ParameterizedTest
  @MethodSource("pycocotoolsCases")
  void decodingTheCompressedStringGivesPycocotoolsCounts(Case c) {
    CocoRle rle = CocoRle.fromString(c.height(), c.width(), c.compressed());
    assertThat(rle.counts()).containsExactly(c.counts());
  }

  @ParameterizedTest
  @MethodSource("pycocotoolsCases")
  void encodingThePixelMaskGivesPycocotoolsCounts(Case c) {
    byte[] rowMajor = CocoRle.fromCounts(c.height(), c.width(), c.counts()).decodeRowMajor();
    assertThat(CocoRle.encodeRowMajor(rowMajor, c.height(), c.width()).toCompressedString())
        .isEqualTo(c.compressed());

    byte[] columnMajor = new byte[rowMajor.length];
    for (int y = 0; y < c.height(); y++) {
      for (int x = 0; x < c.width(); x++) {
        columnMajor[x * c.height() + y] = rowMajor[y * c.width() + x];
      }
    }
    assertThat(CocoRle.encodeColumnMajor(columnMajor, c.height(), c.width()).counts())
        .containsExactly(c.counts());
    long ones = 0;
    for (byte b : rowMajor) {
      ones += b;
    }
    assertThat(ones).isEqualTo(c.area());
  }

  @Test
  void randomMasksRoundTripThroughTheStringForm() {
    Random random = new Random(7);
    for (int trial = 0; trial < 200; trial++) {
      int h = 1 + random.nextInt(40);
      int w = 1 + random.nextInt(40);
      double p = random.nextDouble();
      byte[] mask = new byte[h * w];
      for (int i = 0; i < mask.length; i++) {
        mask[i] = (byte) (random.nextDouble() < p ? 1 : 0);
      }
      CocoRle rle = CocoRle.encodeRowMajor(mask, h, w);
      CocoRle back = CocoRle.fromString(h, w, rle.toCompressedString());
      assertThat(back).isEqualTo(rle);
      assertThat(back.decodeRowMajor()).containsExactly(mask);
    }
  }

  @Test
  void emptyImageEncodesToASingleZeroRun() {
    assertThat(CocoRle.encodeRowMajor(new byte[0], 0, 0).counts()).containsExactly(0);
  }

  @Test
  void badInputIsRefusedWithAClearMessage() {
    assertThatThrownBy(() -> CocoRle.fromString(5, 7, "S1S1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cover 70 pixels but a 5x7 mask has 35");
    assertThatThrownBy(() -> CocoRle.fromString(5, 7, "S1 "))
        .hasMessageContaining("invalid character ' '");
    assertThatThrownBy(() -> CocoRle.fromString(5, 7, "0S")).hasMessageContaining("truncated");
    assertThatThrownBy(() -> CocoRle.fromCounts(2, 2, new int[] {1, -1, 4}))
        .hasMessageContaining("negative");
    assertThatThrownBy(() -> CocoRle.encodeRowMajor(new byte[5], 2, 2))
        .hasMessageContaining("mask has 5 values but 2x2 needs 4");
  }
}
