package io.maskstream.detector.mask;

import io.maskstream.schemas.rle.CocoRle;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.MatVector;

/**
 * Turns a binary mask into COCO polygons with OpenCV's {@code findContours}: the outer boundary of
 * each connected part (holes are not kept: COCO polygons cannot express them), its points as a flat
 * {@code [x1, y1, x2, y2, ...]} list in pixel coordinates. For labelling tools that import polygons
 * but not RLE. Stateless and thread-safe.
 */
public final class MaskPolygons {
  private MaskPolygons() {}

  /**
   * The outer contours of {@code mask}, largest first; parts with fewer than three points (a pixel
   * or a line) are left out, so a tiny mask may give none.
   */
  public static List<double[]> of(CocoRle mask) {
    byte[] pixels = mask.decodeRowMajor();
    List<double[]> out = new ArrayList<>();
    List<Double> areas = new ArrayList<>();
    try (BytePointer data = new BytePointer(pixels);
        Mat binary = new Mat(mask.height(), mask.width(), opencv_core.CV_8UC1, data);
        MatVector contours = new MatVector();
        Mat hierarchy = new Mat()) {
      opencv_imgproc.findContours(
          binary,
          contours,
          hierarchy,
          opencv_imgproc.RETR_EXTERNAL,
          opencv_imgproc.CHAIN_APPROX_SIMPLE);
      for (long i = 0; i < contours.size(); i++) {
        try (Mat contour = contours.get(i)) {
          int n = contour.rows();
          if (n < 3) {
            continue;
          }
          int[] xy = new int[2 * n];
          try (IntPointer points = new IntPointer(contour.data())) {
            points.get(xy);
          }
          double[] ring = new double[2 * n];
          for (int k = 0; k < 2 * n; k++) {
            ring[k] = xy[k];
          }
          double area = opencv_imgproc.contourArea(contour);
          int at = 0;
          while (at < areas.size() && areas.get(at) >= area) {
            at++;
          }
          areas.add(at, area);
          out.add(at, ring);
        }
      }
    }
    return out;
  }
}
