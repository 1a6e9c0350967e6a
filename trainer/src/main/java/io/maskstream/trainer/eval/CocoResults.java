package io.maskstream.trainer.eval;

import io.maskstream.schemas.rle.CocoRle;
import io.maskstream.trainer.coco.CocoFile;
import io.maskstream.trainer.coco.CocoFormatException;
import io.maskstream.trainer.coco.CocoImage;
import io.maskstream.trainer.coco.CocoJson;
import io.maskstream.trainer.coco.CocoResult;
import io.maskstream.trainer.coco.Segmentation;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Detections of a COCO results file prepared as pycocotools' {@code COCO.loadRes} prepares them.
 *
 * <p>When the first detection has a box, every detection's area is its box's {@code w * h} (also
 * for mask evaluation) and a detection without mask gets its box as a polygon; otherwise the area
 * is the mask's pixel count and a missing box is the mask's bounding box; when it has neither but
 * keypoints, the box is the keypoints' extent and the area that box's. Ids are positions from 1.
 * Immutable.
 *
 * @param detections the detections, in file order
 * @param hasMasks whether any detection has a segmentation (mask AP is meaningful)
 * @param hasKeypoints whether any detection has keypoints (keypoint AP is meaningful)
 */
public record CocoResults(List<Detection> detections, boolean hasMasks, boolean hasKeypoints) {

  /** Copies the list. */
  public CocoResults {
    detections = List.copyOf(detections);
  }

  /**
   * Reads a results file against the ground truth it was made for.
   *
   * @throws CocoFormatException if the file is not a results list, a detection is malformed or
   *     names an image the ground truth does not have
   */
  public static CocoResults read(Path file, CocoFile groundTruth) {
    return of(CocoJson.readResults(file), groundTruth, file.toString());
  }

  /**
   * Prepares detections already read; {@code source} names them in error messages.
   *
   * @throws CocoFormatException as {@link #read}
   */
  public static CocoResults of(List<CocoResult> results, CocoFile groundTruth, String source) {
    Map<Long, CocoImage> images = groundTruth.imagesById();
    boolean boxMode = !results.isEmpty() && results.get(0).bbox() != null;
    boolean keypointMode =
        !boxMode
            && !results.isEmpty()
            && results.get(0).segmentation() == null
            && results.get(0).keypoints() != null;
    boolean hasMasks = false;
    boolean hasKeypoints = false;
    List<Detection> detections = new ArrayList<>(results.size());
    for (CocoResult r : results) {
      String where = source + ": detection [" + r.index() + "]";
      if (!r.defects().isEmpty()) {
        throw new CocoFormatException(where + ": " + String.join("; ", r.defects()));
      }
      if (r.imageId() == null || r.categoryId() == null || r.score() == null) {
        throw new CocoFormatException(
            where + " needs \"image_id\", \"category_id\" and \"score\" (COCO results format)");
      }
      CocoImage image = images.get(r.imageId());
      if (image == null) {
        throw new CocoFormatException(
            where
                + " is for image id "
                + r.imageId()
                + ", which the ground truth does not have: evaluate against the dataset the"
                + " results were made for");
      }
      hasMasks |= r.segmentation() != null;
      hasKeypoints |= r.keypoints() != null;
      double[] keypoints = r.keypoints() == null ? null : r.keypoints().clone();
      long id = r.index() + 1L;
      if (keypointMode) {
        if (keypoints == null || keypoints.length == 0) {
          throw new CocoFormatException(
              where + " has no \"keypoints\" while the first detection has them: give every one");
        }
        double[] bb = extent(keypoints);
        detections.add(
            new Detection(
                id, r.imageId(), r.categoryId(), r.score(), bb, bb[2] * bb[3], null, keypoints));
      } else if (boxMode) {
        double[] bb = r.bbox();
        if (bb == null) {
          throw new CocoFormatException(
              where + " has no \"bbox\" while the first detection has one: give every one a box");
        }
        Segmentation segmentation = r.segmentation();
        if (segmentation == null) {
          double x1 = bb[0];
          double x2 = bb[0] + bb[2];
          double y1 = bb[1];
          double y2 = bb[1] + bb[3];
          segmentation =
              new Segmentation.Polygons(List.of(new double[] {x1, y1, x1, y2, x2, y2, x2, y1}));
        }
        detections.add(
            new Detection(
                id,
                r.imageId(),
                r.categoryId(),
                r.score(),
                bb.clone(),
                bb[2] * bb[3],
                segmentation,
                keypoints));
      } else {
        if (r.segmentation() == null) {
          throw new CocoFormatException(
              where
                  + " has neither \"bbox\" nor \"segmentation\" nor \"keypoints\": a detection"
                  + " needs one of them");
        }
        CocoRle rle = toRle(r.segmentation(), image, where);
        double[] bb = r.bbox() != null ? r.bbox().clone() : rle.toBbox();
        detections.add(
            new Detection(
                id,
                r.imageId(),
                r.categoryId(),
                r.score(),
                bb,
                rle.area(),
                r.segmentation(),
                keypoints));
      }
    }
    return new CocoResults(detections, hasMasks, hasKeypoints);
  }

  /** The box {@code [x, y, w, h]} from the smallest to the largest keypoint coordinates. */
  private static double[] extent(double[] keypoints) {
    double x0 = Double.POSITIVE_INFINITY;
    double y0 = Double.POSITIVE_INFINITY;
    double x1 = Double.NEGATIVE_INFINITY;
    double y1 = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < keypoints.length; i += 3) {
      x0 = Math.min(x0, keypoints[i]);
      x1 = Math.max(x1, keypoints[i]);
      y0 = Math.min(y0, keypoints[i + 1]);
      y1 = Math.max(y1, keypoints[i + 1]);
    }
    return new double[] {x0, y0, x1 - x0, y1 - y0};
  }

  static CocoRle toRle(Segmentation segmentation, CocoImage image, String where) {
    try {
      return segmentation.toRle(image.height(), image.width());
    } catch (IllegalArgumentException e) {
      throw new CocoFormatException(where + ": bad segmentation: " + e.getMessage(), e);
    }
  }
}
