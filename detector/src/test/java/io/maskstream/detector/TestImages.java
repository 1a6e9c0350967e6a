package io.maskstream.detector;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;

/** Encoded images of any size and kind, made in code for the decoder's and detector's tests. */
public final class TestImages {
  private TestImages() {}

  /** {@code image} encoded by the JDK as {@code format} (png, jpeg, bmp, gif). */
  public static byte[] encode(BufferedImage image, String format) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(image, format, out)) {
        throw new IllegalArgumentException("no writer for " + format);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** A {@code w x h} image of {@code type}, red on the left half and blue on the right. */
  public static BufferedImage halves(int w, int h, int type) {
    BufferedImage image = new BufferedImage(w, h, type);
    Graphics2D g = image.createGraphics();
    g.setColor(Color.RED);
    g.fillRect(0, 0, w / 2, h);
    g.setColor(Color.BLUE);
    g.fillRect(w / 2, 0, w - w / 2, h);
    g.dispose();
    return image;
  }

  /** {@code jpeg} with the size in its start-of-frame marker replaced; the data stays as it was. */
  public static byte[] withJpegSize(byte[] jpeg, int width, int height) {
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

  /**
   * A JPEG (quality 80) of {@code w x h} tiled with the four fixture images: many shapes for the
   * fixture model to find, at any frame size.
   */
  public static byte[] tiledJpeg(int w, int h) {
    Mat[] tiles = new Mat[4];
    for (int i = 0; i < 4; i++) {
      tiles[i] = opencv_imgcodecs.imread(Fixtures.path("image" + i + ".png").toString());
    }
    try (Mat frame = new Mat(h, w, tiles[0].type());
        BytePointer out = new BytePointer();
        IntPointer params = new IntPointer(opencv_imgcodecs.IMWRITE_JPEG_QUALITY, 80)) {
      int tw = Integer.MAX_VALUE;
      int th = Integer.MAX_VALUE;
      for (Mat t : tiles) {
        tw = Math.min(tw, t.cols());
        th = Math.min(th, t.rows());
      }
      for (int y = 0, k = 0; y < h; y += th) {
        for (int x = 0; x < w; x += tw, k++) {
          int cw = Math.min(tw, w - x);
          int ch = Math.min(th, h - y);
          try (Rect from = new Rect(0, 0, cw, ch);
              Rect to = new Rect(x, y, cw, ch);
              Mat src = new Mat(tiles[k % 4], from);
              Mat dst = new Mat(frame, to)) {
            src.copyTo(dst);
          }
        }
      }
      if (!opencv_imgcodecs.imencode(".jpg", frame, out, params)) {
        throw new IllegalStateException("cannot encode a " + w + "x" + h + " JPEG");
      }
      byte[] bytes = new byte[(int) out.limit()];
      out.get(bytes);
      return bytes;
    } finally {
      for (Mat t : tiles) {
        t.close();
      }
    }
  }
}
