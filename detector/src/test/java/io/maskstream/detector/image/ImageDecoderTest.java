package io.maskstream.detector.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.maskstream.detector.SegmentationException;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class ImageDecoderTest {
  private static final FrameLimits LIMITS = new FrameLimits(1333, 64_000_000L);

  static byte[] encode(BufferedImage image, String format) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(ImageIO.write(image, format, out)).isTrue();
    return out.toByteArray();
  }

  /** A {@code w x h} image, red on the left half and blue on the right. */
  static BufferedImage halves(int w, int h, int type) {
    BufferedImage image = new BufferedImage(w, h, type);
    Graphics2D g = image.createGraphics();
    g.setColor(Color.RED);
    g.fillRect(0, 0, w / 2, h);
    g.setColor(Color.BLUE);
    g.fillRect(w / 2, 0, w - w / 2, h);
    g.dispose();
    return image;
  }

  private static int[] bgrAt(DecodedImage image, int x, int y) {
    int p = (y * image.width() + x) * 3;
    return new int[] {image.bgr()[p] & 0xff, image.bgr()[p + 1] & 0xff, image.bgr()[p + 2] & 0xff};
  }

  @Test
  void aLargeJpegIsDecodedDownscaledToTheInputSizeAndKnowsItsFrameSize() throws Exception {
    byte[] jpeg = encode(halves(4000, 3000, BufferedImage.TYPE_3BYTE_BGR), "jpeg");
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
    byte[] jpeg = encode(halves(640, 480, BufferedImage.TYPE_3BYTE_BGR), "jpeg");
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
    DecodedImage g = ImageDecoder.decode(encode(grey, "png"), LIMITS);
    assertThat(bgrAt(g, 5, 5)).containsExactly(255, 255, 255);

    BufferedImage alpha = halves(40, 30, BufferedImage.TYPE_INT_ARGB);
    DecodedImage a = ImageDecoder.decode(encode(alpha, "png"), LIMITS);
    assertThat(a.bgr()).hasSize(40 * 30 * 3);
    assertThat(bgrAt(a, 5, 5)[2]).isEqualTo(255);
  }

  @Test
  void extremeShapesDecode() throws Exception {
    DecodedImage one =
        ImageDecoder.decode(encode(halves(1, 1, BufferedImage.TYPE_3BYTE_BGR), "png"), LIMITS);
    assertThat(one.width()).isEqualTo(1);
    DecodedImage line =
        ImageDecoder.decode(encode(halves(5000, 1, BufferedImage.TYPE_3BYTE_BGR), "png"), LIMITS);
    assertThat(line.width()).isEqualTo(1333);
    assertThat(line.height()).isEqualTo(1);
    assertThat(line.frameWidth()).isEqualTo(5000);
  }

  @Test
  void aFrameOverThePixelLimitIsRefusedFromItsHeaderWithoutDecoding() throws Exception {
    byte[] jpeg = encode(halves(64, 48, BufferedImage.TYPE_3BYTE_BGR), "jpeg");
    byte[] huge = withJpegSize(jpeg, 30000, 20000); // 600 megapixels claimed, 2 KB of data
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

  /** {@code jpeg} with the size in its start-of-frame marker replaced. */
  static byte[] withJpegSize(byte[] jpeg, int width, int height) {
    byte[] out = jpeg.clone();
    for (int i = 2; i + 9 < out.length; ) {
      int marker = out[i + 1] & 0xff;
      int length = ((out[i + 2] & 0xff) << 8) | (out[i + 3] & 0xff);
      if (marker >= 0xc0 && marker <= 0xc3) {
        out[i + 5] = (byte) (height >> 8);
        out[i + 6] = (byte) height;
        out[i + 7] = (byte) (width >> 8);
        out[i + 8] = (byte) width;
        return out;
      }
      i += 2 + length;
    }
    throw new IllegalArgumentException("no start-of-frame marker");
  }
}
