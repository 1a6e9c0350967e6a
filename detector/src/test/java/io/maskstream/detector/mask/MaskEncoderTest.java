package io.maskstream.detector.mask;

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
}
