package io.maskstream.schemas.masks;

import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.schemas.rle.CocoRle;
import java.nio.FloatBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MaskEncoderTest {
  @Test
  void encodesThePixelsAboveTheThresholdInCocoOrder() {
    Random random = new Random(3);
    int h = 17;
    int w = 23;
    float[] planes = new float[2 * h * w];
    for (int i = 0; i < planes.length; i++) {
      planes[i] = random.nextFloat();
    }
    for (int k = 0; k < 2; k++) {
      byte[] binary = new byte[h * w];
      for (int i = 0; i < binary.length; i++) {
        binary[i] = (byte) (planes[k * h * w + i] > 0.5f ? 1 : 0);
      }
      assertThat(MaskEncoder.encode(FloatBuffer.wrap(planes), k * h * w, h, w, 0.5f))
          .isEqualTo(CocoRle.encodeRowMajor(binary, h, w));
    }
  }

  @Test
  void valueEqualToTheThresholdIsOutside() {
    float[] plane = {0.5f, 0.51f, 0.49f, 1f};
    CocoRle rle = MaskEncoder.encode(plane, 2, 2, 0.5f);
    assertThat(rle.decodeRowMajor()).containsExactly(0, 1, 0, 1);
  }

  @Test
  void emptyAndFullMasks() {
    assertThat(MaskEncoder.encode(new float[12], 3, 4, 0.5f).area()).isZero();
    float[] full = new float[12];
    java.util.Arrays.fill(full, 0.9f);
    assertThat(MaskEncoder.encode(full, 3, 4, 0.5f).area()).isEqualTo(12);
  }

  @Test
  void encodesAtALargerSizeAsTheNearestNeighbourUpscaleOfThePlane() {
    Random random = new Random(5);
    int h = 13;
    int w = 19;
    float[] plane = new float[h * w];
    for (int i = 0; i < plane.length; i++) {
      plane[i] = random.nextFloat();
    }
    int[][] sizes = {{13, 19}, {26, 38}, {40, 57}, {100, 33}, {14, 20}};
    int[][] supports = {{0, 0, 19, 13}, {3, 2, 11, 9}, {18, 12, 19, 13}, {5, 5, 5, 9}};
    for (int[] size : sizes) {
      int outH = size[0];
      int outW = size[1];
      for (int[] support : supports) {
        byte[] expected = new byte[outH * outW];
        for (int y = 0; y < outH; y++) {
          int sy = (int) Math.floor((y + 0.5) * h / outH);
          for (int x = 0; x < outW; x++) {
            int sx = (int) Math.floor((x + 0.5) * w / outW);
            boolean inSupport =
                sx >= support[0] && sx < support[2] && sy >= support[1] && sy < support[3];
            expected[y * outW + x] = (byte) (inSupport && plane[sy * w + sx] > 0.5f ? 1 : 0);
          }
        }
        assertThat(MaskEncoder.encode(FloatBuffer.wrap(plane), 0, h, w, 0.5f, support, outH, outW))
            .as("%dx%d, support %s", outW, outH, java.util.Arrays.toString(support))
            .isEqualTo(CocoRle.encodeRowMajor(expected, outH, outW));
      }
    }
  }

  @Test
  void aMaskOfAFrameOfTensOfMegapixelsCostsItsRunsOnly() {
    // a 6000x6000 frame whose model saw 1333x1333: a square in the middle
    int side = 1333;
    float[] plane = new float[side * side];
    for (int y = 400; y < 900; y++) {
      java.util.Arrays.fill(plane, y * side + 300, y * side + 1000, 1f);
    }
    CocoRle rle =
        MaskEncoder.encode(
            FloatBuffer.wrap(plane), 0, side, side, 0.5f, new int[] {0, 0, side, side}, 6000, 6000);
    assertThat(rle.height()).isEqualTo(6000);
    assertThat(rle.width()).isEqualTo(6000);
    double scale = 6000.0 / side;
    assertThat((double) rle.area())
        .isCloseTo(700 * 500 * scale * scale, org.assertj.core.data.Percentage.withPercentage(1));
  }
}
