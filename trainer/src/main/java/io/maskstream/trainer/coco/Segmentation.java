package io.maskstream.trainer.coco;

import io.maskstream.schemas.rle.CocoRle;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code segmentation} of a COCO annotation or result: polygons, uncompressed RLE or compressed
 * RLE. Instances are immutable values.
 */
public sealed interface Segmentation {
  /**
   * The mask at the image's size, as pycocotools' {@code COCO.annToRLE}: polygons are rasterised
   * and their parts merged, uncompressed RLE is taken at its own size.
   *
   * @throws IllegalArgumentException if the segmentation cannot be turned into a mask
   */
  CocoRle toRle(int imageHeight, int imageWidth);

  /**
   * One object as one or more polygon rings {@code [x0, y0, x1, y1, ...]}.
   *
   * <p>As in pycocotools, the first ring must have at least three points (pycocotools fails on a
   * shorter one); the parts are rasterised separately and merged.
   */
  record Polygons(List<double[]> rings) implements Segmentation {
    /** Copies the list; the rings themselves are not copied and must not be changed. */
    public Polygons {
      rings = List.copyOf(rings);
    }

    @Override
    public CocoRle toRle(int imageHeight, int imageWidth) {
      if (rings.isEmpty()) {
        throw new IllegalArgumentException("the polygon list is empty");
      }
      if (rings.get(0).length < 6) {
        throw new IllegalArgumentException(
            "a polygon needs at least 3 points, the first has " + rings.get(0).length + " numbers");
      }
      List<CocoRle> parts = new ArrayList<>(rings.size());
      for (double[] ring : rings) {
        parts.add(MaskOps.fromPolygon(ring, imageHeight, imageWidth));
      }
      return MaskOps.merge(parts, false);
    }
  }

  /** Uncompressed RLE: {@code {"size": [h, w], "counts": [...]}}. */
  record UncompressedRle(int height, int width, int[] counts) implements Segmentation {
    /** Copies the counts. */
    public UncompressedRle {
      counts = counts.clone();
    }

    @Override
    public CocoRle toRle(int imageHeight, int imageWidth) {
      return CocoRle.fromCounts(height, width, counts);
    }
  }

  /** Compressed RLE: {@code {"size": [h, w], "counts": "..."}}. */
  record CompressedRle(int height, int width, String counts) implements Segmentation {
    @Override
    public CocoRle toRle(int imageHeight, int imageWidth) {
      return CocoRle.fromString(height, width, counts);
    }
  }
}
