package io.maskstream.detector.mask;

import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.schemas.rle.CocoRle;
import java.util.List;
import org.junit.jupiter.api.Test;

class MaskPolygonsTest {
  private static CocoRle mask(int width, int height, int[]... rects) {
    byte[] pixels = new byte[width * height];
    for (int[] r : rects) {
      for (int y = r[1]; y < r[3]; y++) {
        for (int x = r[0]; x < r[2]; x++) {
          pixels[y * width + x] = 1;
        }
      }
    }
    return CocoRle.encodeRowMajor(pixels, height, width);
  }

  @Test
  void aRectangleIsItsFourCornerPixels() {
    List<double[]> rings = MaskPolygons.of(mask(20, 10, new int[] {2, 3, 12, 8}));
    assertThat(rings).hasSize(1);
    assertThat(rings.get(0)).containsExactly(2, 3, 2, 7, 11, 7, 11, 3);
  }

  @Test
  void separatePartsAreSeparatePolygonsLargestFirstAndSpecksAreLeftOut() {
    List<double[]> rings =
        MaskPolygons.of(
            mask(
                40,
                20,
                new int[] {1, 1, 5, 5},
                new int[] {10, 2, 30, 18},
                new int[] {35, 10, 36, 11}));
    assertThat(rings).hasSize(2);
    assertThat(rings.get(0)).containsExactly(10, 2, 10, 17, 29, 17, 29, 2);
    assertThat(rings.get(1)).containsExactly(1, 1, 1, 4, 4, 4, 4, 1);
    assertThat(MaskPolygons.of(mask(10, 10, new int[] {3, 3, 4, 4}))).isEmpty();
  }
}
