package io.maskstream.sinks.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class DifferenceHashTest {
  private static BufferedImage scene(int shift, int noise, long seed) {
    BufferedImage image = new BufferedImage(160, 120, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setPaint(new java.awt.GradientPaint(0, 0, Color.DARK_GRAY, 160, 0, Color.LIGHT_GRAY));
    g.fillRect(0, 0, 160, 120);
    g.setColor(Color.RED);
    g.fillOval(20 + shift, 30, 40, 40);
    g.setColor(Color.BLUE);
    g.fillRect(100 - shift, 60, 30, 40);
    g.dispose();
    Random r = new Random(seed);
    for (int i = 0; i < noise; i++) {
      int x = r.nextInt(160);
      int y = r.nextInt(120);
      image.setRGB(x, y, r.nextInt(0xffffff));
    }
    return image;
  }

  private static byte[] jpeg(BufferedImage image) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "jpg", out);
    return out.toByteArray();
  }

  @Test
  void theSameSceneWithNoiseIsNearAnotherSceneFar() throws Exception {
    long a = DifferenceHash.of(jpeg(scene(0, 0, 1)));
    long aNoisy = DifferenceHash.of(jpeg(scene(0, 200, 2)));
    long moved = DifferenceHash.of(jpeg(scene(40, 0, 1)));
    assertThat(DifferenceHash.distance(a, a)).isZero();
    assertThat(DifferenceHash.distance(a, aNoisy)).isLessThanOrEqualTo(3);
    assertThat(DifferenceHash.distance(a, moved)).isGreaterThan(8);
  }

  @Test
  void aGradientHashesToItsBitsAndHexRoundTrips() {
    BufferedImage image = new BufferedImage(90, 80, BufferedImage.TYPE_INT_RGB);
    for (int x = 0; x < 90; x++) {
      for (int y = 0; y < 80; y++) {
        int v = 250 - x * 2; // brighter on the left: every left cell is brighter than its right
        image.setRGB(x, y, new Color(v, v, v).getRGB());
      }
    }
    long hash = DifferenceHash.of(image);
    assertThat(hash).isEqualTo(-1L);
    assertThat(DifferenceHash.hex(hash)).isEqualTo("ffffffffffffffff");
    assertThat(DifferenceHash.parseHex(DifferenceHash.hex(0x0123456789abcdefL)))
        .isEqualTo(0x0123456789abcdefL);
  }
}
