package io.maskstream.detector.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.maskstream.detector.SegmentationException;
import io.maskstream.detector.TestImages;
import java.awt.image.BufferedImage;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ImageDecoderTest {
  private static final FrameLimits LIMITS = new FrameLimits(1333, 64_000_000L);

  private static int[] bgrAt(DecodedImage image, int x, int y) {
    int p = (y * image.width() + x) * 3;
    return new int[] {image.bgr()[p] & 0xff, image.bgr()[p + 1] & 0xff, image.bgr()[p + 2] & 0xff};
  }

  @Test
  void aLargeJpegIsDecodedDownscaledToTheInputSizeAndKnowsItsFrameSize() throws Exception {
    byte[] jpeg =
        TestImages.encode(TestImages.halves(4000, 3000, BufferedImage.TYPE_3BYTE_BGR), "jpeg");
    DecodedImage image = ImageDecoder.decode(jpeg, LIMITS);
    assertThat(image.width()).isEqualTo(1333);
    assertThat(image.height()).isEqualTo(1000);
    assertThat(image.frameWidth()).isEqualTo(4000);
    assertThat(image.frameHeight()).isEqualTo(3000);
    assertThat(image.downscaled()).isTrue();
    assertThat(bgrAt(image, 100, 500)[2]).isGreaterThan(200); // red left
    assertThat(bgrAt(image, 1200, 500)[0]).isGreaterThan(200); // blue right
  }

  @Test
  void framesWithinTheInputSizeKeepTheirSize() throws Exception {
    byte[] jpeg =
        TestImages.encode(TestImages.halves(640, 480, BufferedImage.TYPE_3BYTE_BGR), "jpeg");
    DecodedImage image = ImageDecoder.decode(jpeg, LIMITS);
    assertThat(image.width()).isEqualTo(640);
    assertThat(image.frameWidth()).isEqualTo(640);
    assertThat(image.downscaled()).isFalse();
  }

  @Test
  void libjpegScalingIsTheLargestThatKeepsTheTargetSize() {
    assertThat(ImageDecoder.reduction(4000, 3000, new int[] {1333, 1000})).isEqualTo(2);
    assertThat(ImageDecoder.reduction(12000, 9000, new int[] {1333, 1000})).isEqualTo(8);
    assertThat(ImageDecoder.reduction(1400, 1000, new int[] {1333, 952})).isEqualTo(1);
    assertThat(ImageDecoder.reduction(640, 480, new int[] {640, 480})).isEqualTo(1);
  }

  @Test
  void greySixteenBitAndAlphaPngsBecomeEightBitBgr() throws Exception {
    BufferedImage grey = new BufferedImage(40, 30, BufferedImage.TYPE_USHORT_GRAY);
    short[] data = ((java.awt.image.DataBufferUShort) grey.getRaster().getDataBuffer()).getData();
    Arrays.fill(data, (short) 0xffff);
    DecodedImage g = ImageDecoder.decode(TestImages.encode(grey, "png"), LIMITS);
    assertThat(bgrAt(g, 5, 5)).containsExactly(255, 255, 255);

    BufferedImage alpha = TestImages.halves(40, 30, BufferedImage.TYPE_INT_ARGB);
    DecodedImage a = ImageDecoder.decode(TestImages.encode(alpha, "png"), LIMITS);
    assertThat(a.bgr()).hasSize(40 * 30 * 3);
    assertThat(bgrAt(a, 5, 5)[2]).isEqualTo(255);
  }

  @Test
  void extremeShapesDecode() throws Exception {
    DecodedImage one =
        ImageDecoder.decode(
            TestImages.encode(TestImages.halves(1, 1, BufferedImage.TYPE_3BYTE_BGR), "png"),
            LIMITS);
    assertThat(one.width()).isEqualTo(1);
    DecodedImage line =
        ImageDecoder.decode(
            TestImages.encode(TestImages.halves(5000, 1, BufferedImage.TYPE_3BYTE_BGR), "png"),
            LIMITS);
    assertThat(line.width()).isEqualTo(1333);
    assertThat(line.height()).isEqualTo(1);
    assertThat(line.frameWidth()).isEqualTo(5000);
  }

  @Test
  void aFrameOverThePixelLimitIsRefusedFromItsHeaderWithoutDecoding() throws Exception {
    byte[] jpeg =
        TestImages.encode(TestImages.halves(64, 48, BufferedImage.TYPE_3BYTE_BGR), "jpeg");
    byte[] huge =
        TestImages.withJpegSize(jpeg, 30000, 20000); // 600 megapixels claimed, 2 KB of data
    assertThatThrownBy(() -> ImageDecoder.decode(huge, LIMITS))
        .isInstanceOfSatisfying(
            SegmentationException.class,
            e -> assertThat(e.kind()).isEqualTo(SegmentationException.Kind.TOO_LARGE))
        .hasMessage(
            "image is 30000x20000 (600.0 megapixels), above the limit of 64.0"
                + " (--max-frame-megapixels): lower the camera's resolution or raise the limit");
  }

  @Test
  void bytesThatAreNoImageAreUndecodableWithAReason() {
    for (byte[] bad :
        new byte[][] {
          "not an image".getBytes(java.nio.charset.StandardCharsets.UTF_8),
          {(byte) 0xff, (byte) 0xd8, (byte) 0xff},
          {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0}
        }) {
      assertThatThrownBy(() -> ImageDecoder.decode(bad, LIMITS))
          .isInstanceOfSatisfying(
              SegmentationException.class,
              e -> assertThat(e.kind()).isEqualTo(SegmentationException.Kind.UNDECODABLE));
    }
  }
}
