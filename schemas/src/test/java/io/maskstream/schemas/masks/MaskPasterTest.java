package io.maskstream.schemas.masks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.schemas.rle.CocoRle;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/**
 * The paste against torchvision's {@code paste_masks_in_image}: {@code paste-masks.json} is written
 * by {@code detector/src/test/python/make_torchvision_fixture.py}.
 */
class MaskPasterTest {
  @Test
  void pastesLikeTorchvisionPasteMasksInImage() throws IOException {
    JsonNode fixture;
    try (InputStream in = MaskPasterTest.class.getResourceAsStream("/masks/paste-masks.json")) {
      fixture = new ObjectMapper().readTree(Objects.requireNonNull(in, "paste-masks.json"));
    }
    int compared = 0;
    for (JsonNode c : fixture.get("cases")) {
      int h = c.get("height").asInt();
      int w = c.get("width").asInt();
      for (int k = 0; k < c.get("boxes").size(); k++) {
        float[] mask = floats(c.get("masks").get(k));
        float[] box = floats(c.get("boxes").get(k));
        float[] expected = floats(c.get("pasted").get(k));
        float[] actual = MaskPaster.paste(mask, 28, box, h, w);
        assertThat(actual).hasSize(h * w);
        for (int i = 0; i < actual.length; i++) {
          assertThat(actual[i])
              .as("case %dx%d mask %d pixel (%d, %d)", w, h, k, i % w, i / w)
              .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-5f));
        }
        compared++;
      }
    }
    assertThat(compared).isEqualTo(9);
  }

  @Test
  void boxEntirelyOutsideTheImageLeavesAnEmptyMask() {
    float[] mask = new float[28 * 28];
    java.util.Arrays.fill(mask, 1f);
    float[] pasted = MaskPaster.paste(mask, 28, new float[] {-50, -40, -20, -10}, 30, 40);
    assertThat(pasted).containsOnly(0f);
  }

  @Test
  void thresholdedPasteEncodesLikeCocoRleOfTheBinaryMask() {
    float[] mask = new float[28 * 28];
    for (int i = 0; i < mask.length; i++) {
      mask[i] = ((i / 28) + (i % 28)) / 54f;
    }
    float[] pasted = MaskPaster.paste(mask, 28, new float[] {3.2f, 4.7f, 30.1f, 25.9f}, 32, 40);
    byte[] binary = new byte[pasted.length];
    for (int i = 0; i < pasted.length; i++) {
      binary[i] = (byte) (pasted[i] > 0.5f ? 1 : 0);
    }
    CocoRle expected = CocoRle.encodeRowMajor(binary, 32, 40);
    assertThat(MaskEncoder.encode(pasted, 32, 40, 0.5f)).isEqualTo(expected);
    float[] box = {3.2f, 4.7f, 30.1f, 25.9f};
    assertThat(MaskEncoder.encode(pasted, 32, 40, 0.5f, MaskPaster.support(box, 28, 32, 40)))
        .isEqualTo(expected);
    assertThat(MaskEncoder.encode(pasted, 32, 40, 0.5f, MaskPaster.support(box, 8, 32, 40)))
        .isEqualTo(expected);
    assertThat(expected.area()).isPositive();
  }

  @Test
  void pastingSeveralMasksIntoOneArrayOfPlanesPastesEachAsAlone() {
    int m = 14;
    int h = 27;
    int w = 33;
    float[] masks = new float[3 * m * m];
    for (int i = 0; i < masks.length; i++) {
      masks[i] = (i * 37 % 101) / 100f;
    }
    float[] boxes = {2.5f, 3f, 20f, 19.7f, -4f, 10f, 12.2f, 40f, 25f, 1f, 31.9f, 8.4f};
    float[] planes = new float[3 * h * w];
    for (int k = 0; k < 3; k++) {
      MaskPaster.paste(masks, k * m * m, m, boxes, 4 * k, h, w, planes, k * h * w);
    }
    for (int k = 0; k < 3; k++) {
      float[] alone =
          MaskPaster.paste(
              java.util.Arrays.copyOfRange(masks, k * m * m, (k + 1) * m * m),
              m,
              java.util.Arrays.copyOfRange(boxes, 4 * k, 4 * k + 4),
              h,
              w);
      assertThat(java.util.Arrays.copyOfRange(planes, k * h * w, (k + 1) * h * w))
          .as("mask %d", k)
          .containsExactly(alone);
    }
  }

  @Test
  void supportIsExactlyWhereThePasteWrites() {
    float[] ones = new float[28 * 28];
    java.util.Arrays.fill(ones, 1f);
    float[][] boxes = {{-5f, 3f, 20.5f, 18f}, {10f, 10f, 10.4f, 10.2f}, {30f, 20f, 60f, 50f}};
    for (float[] box : boxes) {
      float[] pasted = MaskPaster.paste(ones, 28, box, 31, 41);
      int[] s = MaskPaster.support(box, 28, 31, 41);
      for (int y = 0; y < 31; y++) {
        for (int x = 0; x < 41; x++) {
          boolean inside = x >= s[0] && x < s[2] && y >= s[1] && y < s[3];
          if (!inside) {
            assertThat(pasted[y * 41 + x]).isZero();
          }
        }
      }
      assertThat(MaskEncoder.encode(pasted, 31, 41, 0f, s))
          .isEqualTo(MaskEncoder.encode(pasted, 31, 41, 0f));
    }
  }

  private static float[] floats(JsonNode array) {
    float[] out = new float[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) array.get(i).asDouble();
    }
    return out;
  }
}
