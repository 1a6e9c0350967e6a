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
}
