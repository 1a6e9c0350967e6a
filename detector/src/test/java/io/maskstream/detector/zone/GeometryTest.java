package io.maskstream.detector.zone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.maskstream.schemas.rle.CocoIou;
import io.maskstream.schemas.rle.CocoRle;
import java.util.Random;
import org.junit.jupiter.api.Test;

class GeometryTest {
  @Test
  void sidesFollowTheImagesHandedness() {
    // a line drawn left to right: below it (y down) is its right-hand side
    assertThat(Geometry.side(0, 0, 10, 0, 5, 3)).isEqualTo(1);
    assertThat(Geometry.side(0, 0, 10, 0, 5, -3)).isEqualTo(-1);
    assertThat(Geometry.side(0, 0, 10, 0, 20, 0)).isZero();
  }

  @Test
  void segmentsMeetOnlyWithinBothSegments() {
    assertThat(Geometry.segmentsMeet(5, -5, 5, 5, 0, 0, 10, 0)).isTrue();
    assertThat(Geometry.segmentsMeet(15, -5, 15, 5, 0, 0, 10, 0)).isFalse();
    assertThat(Geometry.segmentsMeet(5, -5, 5, 0, 0, 0, 10, 0)).isTrue(); // touching
    assertThat(Geometry.segmentsMeet(5, -5, 5, -1, 0, 0, 10, 0)).isFalse();
    assertThat(Geometry.segmentsMeet(10, -5, 10, 5, 0, 0, 10, 0)).isTrue(); // through the end
    assertThat(Geometry.segmentsMeet(12, 0, 20, 0, 0, 0, 10, 0)).isFalse(); // collinear, apart
  }

  @Test
  void theShareInsideIsTheShareOfPixelCentresInsideThePolygon() {
    Random random = new Random(7);
    int w = 97;
    int h = 61;
    for (int trial = 0; trial < 200; trial++) {
      // a star-shaped polygon around a random centre, and a random blob of a mask
      int n = 3 + random.nextInt(8);
      double cx = random.nextDouble() * w;
      double cy = random.nextDouble() * h;
      double[] xs = new double[n];
      double[] ys = new double[n];
      for (int i = 0; i < n; i++) {
        double a = 2 * Math.PI * i / n;
        double r = 5 + random.nextDouble() * 40;
        xs[i] = cx + r * Math.cos(a);
        ys[i] = cy + r * Math.sin(a);
      }
      byte[] pixels = new byte[w * h];
      double mx = random.nextDouble() * w;
      double my = random.nextDouble() * h;
      double mr = 3 + random.nextDouble() * 25;
      long total = 0;
      long in = 0;
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          if (Math.hypot(x - mx, (y - my) * 1.5) < mr && random.nextInt(10) > 0) {
            pixels[y * w + x] = 1;
            total++;
            if (Geometry.inside(xs, ys, x + 0.5, y + 0.5)) {
              in++;
            }
          }
        }
      }
      CocoIou.Columns mask = CocoIou.columns(CocoRle.encodeRowMajor(pixels, h, w));
      double expected = total == 0 ? 0 : (double) in / total;
      assertThat(Geometry.shareInside(mask, xs, ys))
          .as("trial %d", trial)
          .isCloseTo(expected, within(1e-12));
    }
  }
}
