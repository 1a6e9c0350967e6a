package io.maskstream.schemas.rle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Pairs of masks; pycocotools' own cases are in the trainer's MaskOpsTest fixtures. */
class CocoIouTest {
  private static CocoRle rectangle(int h, int w, int x0, int y0, int x1, int y1) {
    byte[] m = new byte[h * w];
    for (int y = y0; y < y1; y++) {
      for (int x = x0; x < x1; x++) {
        m[y * w + x] = 1;
      }
    }
    return CocoRle.encodeRowMajor(m, h, w);
  }

  @Test
  void iouOfTwoMasksIsIntersectionOverUnion() {
    CocoRle a = rectangle(20, 30, 0, 0, 10, 10); // 100 px
    CocoRle b = rectangle(20, 30, 5, 0, 15, 10); // 100 px, 50 shared
    assertThat(CocoIou.of(a, b)).isEqualTo(50.0 / 150.0);
    assertThat(CocoIou.of(a, a)).isEqualTo(1.0);
    assertThat(CocoIou.of(a, rectangle(20, 30, 20, 10, 30, 20))).isZero();
    assertThat(CocoIou.of(rectangle(20, 30, 0, 0, 0, 0), rectangle(20, 30, 0, 0, 0, 0))).isZero();
  }

  @Test
  void masksOfDifferentSizesAreRefused() {
    assertThatThrownBy(
            () -> CocoIou.of(rectangle(20, 30, 0, 0, 5, 5), rectangle(30, 20, 0, 0, 5, 5)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aShiftedMaskIsComparedAsIfMoved() {
    CocoRle a = rectangle(20, 30, 2, 3, 8, 9);
    CocoRle b = rectangle(20, 30, 7, 5, 13, 11); // a moved by (5, 2)
    CocoIou.Columns ca = CocoIou.columns(a);
    CocoIou.Columns cb = CocoIou.columns(b);
    assertThat(CocoIou.shifted(ca, cb, 5, 2)).isEqualTo(1.0);
    assertThat(CocoIou.shifted(ca, cb, 0, 0)).isEqualTo(CocoIou.of(a, b));
    assertThat(CocoIou.shifted(ca, cb, 4, 2)).isEqualTo(30.0 / 42.0);
    // moved out of the frame: nothing left to overlap
    assertThat(CocoIou.shifted(ca, cb, 40, 0)).isZero();
    assertThat(CocoIou.shifted(ca, ca, 0, -3)).isEqualTo(18.0 / 54.0);
  }

  @Test
  void shiftedIouAgreesWithMovingTheBitmap() {
    java.util.Random random = new java.util.Random(5);
    int h = 17;
    int w = 13;
    for (int round = 0; round < 200; round++) {
      byte[] ma = new byte[h * w];
      byte[] mb = new byte[h * w];
      for (int i = 0; i < ma.length; i++) {
        ma[i] = (byte) (random.nextInt(3) == 0 ? 1 : 0);
        mb[i] = (byte) (random.nextInt(3) == 0 ? 1 : 0);
      }
      int dx = random.nextInt(9) - 4;
      int dy = random.nextInt(9) - 4;
      byte[] moved = new byte[h * w];
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          int sy = y - dy;
          int sx = x - dx;
          if (sy >= 0 && sy < h && sx >= 0 && sx < w) {
            moved[y * w + x] = ma[sy * w + sx];
          }
        }
      }
      double expected =
          CocoIou.of(CocoRle.encodeRowMajor(moved, h, w), CocoRle.encodeRowMajor(mb, h, w));
      double actual =
          CocoIou.shifted(
              CocoIou.columns(CocoRle.encodeRowMajor(ma, h, w)),
              CocoIou.columns(CocoRle.encodeRowMajor(mb, h, w)),
              dx,
              dy);
      assertThat(actual).as("round %d", round).isEqualTo(expected);
    }
  }
}
