package io.maskstream.trainer.eval;

import io.maskstream.schemas.rle.CocoIou;
import io.maskstream.schemas.rle.CocoRle;
import io.maskstream.trainer.coco.CocoAnnotation;
import io.maskstream.trainer.coco.CocoCategory;
import io.maskstream.trainer.coco.CocoFile;
import io.maskstream.trainer.coco.CocoFormatException;
import io.maskstream.trainer.coco.CocoImage;
import io.maskstream.trainer.coco.Segmentation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * COCO detection evaluation (box or mask AP and AR) with pycocotools' {@code COCOeval} semantics,
 * step for step: {@code evaluate}, {@code accumulate} and {@code summarize} with the default
 * parameters.
 *
 * <p>pycocotools has no Java port, so the algorithm is written out here; every detail that moves a
 * number is kept: detections sorted by score with a stable sort and cut to 100 per image and
 * category; ground truths outside the area range or crowd are ignored (crowd regions may absorb any
 * number of detections, with IoU = intersection / detection area); greedy matching to the best
 * unmatched ground truth at each IoU threshold 0.50:0.05:0.95; unmatched detections outside the
 * area range ignored; precision made monotone and read at 101 recall points with a left binary
 * search; categories without ground truth left out of the means. A match is recorded by ground
 * truth id as in pycocotools, so a ground truth with id 0 counts as unmatched there and here.
 *
 * <p>Stateless; each call works on its own data.
 */
public final class CocoEvaluator {
  /** IoU thresholds, computed as {@code numpy.linspace(.5, .95, 10)} computes them. */
  static final double[] IOU_THRESHOLDS = linspace(0.5, 0.95, 10);

  /** Recall points, computed as {@code numpy.linspace(0, 1, 101)} computes them. */
  static final double[] RECALL_THRESHOLDS = linspace(0.0, 1.0, 101);

  /** Detections per image for the three recall settings. */
  static final int[] MAX_DETS = {1, 10, 100};

  /** Area ranges all, small, medium, large (inclusive at both ends, as pycocotools). */
  static final double[][] AREA_RANGES = {
    {0, 1e5 * 1e5}, {0, 32 * 32}, {32 * 32, 96 * 96}, {96 * 96, 1e5 * 1e5}
  };

  static final String[] AREA_LABELS = {"all", "small", "medium", "large"};

  /** numpy's {@code np.spacing(1)}: keeps precision defined when nothing was detected. */
  private static final double EPS = Math.ulp(1.0);

  private CocoEvaluator() {}

  /**
   * Evaluates detections against a ground truth.
   *
   * @throws CocoFormatException if a ground-truth annotation is malformed or lacks what this
   *     evaluation needs (a segmentation for masks)
   */
  public static EvalSummary evaluate(CocoFile groundTruth, CocoResults results, IouType type) {
    Prepared prepared = prepare(groundTruth, results, type);
    int images = prepared.imageIds.length;
    int categories = prepared.categoryIds.length;
    int areas = AREA_RANGES.length;
    // evalImgs[k][a][i] as pycocotools orders them: category, area range, image
    ImageEval[][][] evals = new ImageEval[categories][areas][images];
    for (int k = 0; k < categories; k++) {
      for (int i = 0; i < images; i++) {
        long key = (long) k * images + i;
        List<Obj> gt = prepared.gts.getOrDefault(key, List.of());
        List<Obj> dt = prepared.dts.getOrDefault(key, List.of());
        if (gt.isEmpty() && dt.isEmpty()) {
          continue;
        }
        double[][] ious = computeIou(gt, dt, type);
        for (int a = 0; a < areas; a++) {
          evals[k][a][i] = evaluateImage(gt, dt, ious, AREA_RANGES[a]);
        }
      }
    }
    return accumulate(type, evals, prepared.categoryIds, images);
  }

  private static Prepared prepare(CocoFile groundTruth, CocoResults results, IouType type) {
    long[] imageIds =
        groundTruth.images().stream().mapToLong(CocoImage::id).sorted().distinct().toArray();
    long[] categoryIds =
        new TreeSet<>(groundTruth.categories().stream().map(CocoCategory::id).toList())
            .stream().mapToLong(Long::longValue).toArray();
    Map<Long, Integer> imageIndex = index(imageIds);
    Map<Long, Integer> categoryIndex = index(categoryIds);
    Map<Long, CocoImage> images = groundTruth.imagesById();
    Prepared p = new Prepared(imageIds, categoryIds);
    for (CocoAnnotation ann : groundTruth.annotations()) {
      String where = "annotations.json: " + ann.describe();
      if (!ann.defects().isEmpty()) {
        throw new CocoFormatException(where + ": " + String.join("; ", ann.defects()));
      }
      if (ann.id() == null || ann.imageId() == null || ann.categoryId() == null) {
        throw new CocoFormatException(
            where + " needs \"id\", \"image_id\" and \"category_id\" for evaluation");
      }
      Integer i = imageIndex.get(ann.imageId());
      Integer k = categoryIndex.get(ann.categoryId());
      if (i == null || k == null) {
        continue; // pycocotools evaluates only listed images and categories
      }
      CocoImage image = images.get(ann.imageId());
      Obj o = new Obj();
      o.id = ann.id();
      o.crowd = ann.iscrowd();
      Segmentation segmentation = ann.segmentation();
      CocoRle rle = null;
      if (segmentation != null
          && (type == IouType.SEGM || ann.bbox() == null || ann.area() == null)) {
        rle = CocoResults.toRle(segmentation, image, where);
      }
      if (type == IouType.SEGM) {
        if (rle == null) {
          throw new CocoFormatException(
              where + " has no \"segmentation\": mask AP needs one on every annotation");
        }
        o.rle = rle;
      }
      if (ann.bbox() != null) {
        o.bbox = ann.bbox();
      } else if (rle != null) {
        o.bbox = rle.toBbox();
      } else {
        throw new CocoFormatException(where + " has neither \"bbox\" nor \"segmentation\"");
      }
      // pycocotools reads a ground truth's area from the annotation; an absent one is derived
      o.area = ann.area() != null ? ann.area() : rle != null ? rle.area() : o.bbox[2] * o.bbox[3];
      p.gts.computeIfAbsent((long) k * imageIds.length + i, x -> new ArrayList<>()).add(o);
    }
    for (Detection d : results.detections()) {
      Integer i = imageIndex.get(d.imageId());
      Integer k = categoryIndex.get(d.categoryId());
      if (i == null || k == null) {
        continue;
      }
      Obj o = new Obj();
      o.id = d.id();
      o.score = d.score();
      o.bbox = d.bbox();
      o.area = d.area();
      if (type == IouType.SEGM) {
        o.rle =
            CocoResults.toRle(
                d.segmentation(), images.get(d.imageId()), "results: detection " + d.id());
      }
      p.dts.computeIfAbsent((long) k * imageIds.length + i, x -> new ArrayList<>()).add(o);
    }
    // highest score first, ties in file order (numpy's mergesort is stable), at most 100
    int maxDet = MAX_DETS[MAX_DETS.length - 1];
    for (Map.Entry<Long, List<Obj>> e : p.dts.entrySet()) {
      List<Obj> sorted = new ArrayList<>(e.getValue());
      sorted.sort(Comparator.comparingDouble((Obj o) -> -o.score));
      e.setValue(sorted.size() > maxDet ? List.copyOf(sorted.subList(0, maxDet)) : sorted);
    }
    return p;
  }

  private static double[][] computeIou(List<Obj> gt, List<Obj> dt, IouType type) {
    if (gt.isEmpty() || dt.isEmpty()) {
      return null;
    }
    boolean[] crowd = new boolean[gt.size()];
    for (int g = 0; g < crowd.length; g++) {
      crowd[g] = gt.get(g).crowd;
    }
    if (type == IouType.BBOX) {
      double[][] d = dt.stream().map(o -> o.bbox).toArray(double[][]::new);
      double[][] g = gt.stream().map(o -> o.bbox).toArray(double[][]::new);
      return CocoIou.boxIou(d, g, crowd);
    }
    return CocoIou.iou(
        dt.stream().map(o -> o.rle).toList(), gt.stream().map(o -> o.rle).toList(), crowd);
  }

  private static ImageEval evaluateImage(
      List<Obj> gtIn, List<Obj> dt, double[][] iousIn, double[] range) {
    int gCount = gtIn.size();
    int dCount = dt.size();
    int tCount = IOU_THRESHOLDS.length;
    boolean[] ignoreIn = new boolean[gCount];
    for (int g = 0; g < gCount; g++) {
      Obj o = gtIn.get(g);
      ignoreIn[g] = o.crowd || o.area < range[0] || o.area > range[1];
    }
    // ground truths not ignored first, each group in its original order
    int[] order = new int[gCount];
    int n = 0;
    for (int g = 0; g < gCount; g++) {
      if (!ignoreIn[g]) {
        order[n++] = g;
      }
    }
    for (int g = 0; g < gCount; g++) {
      if (ignoreIn[g]) {
        order[n++] = g;
      }
    }
    Obj[] gt = new Obj[gCount];
    boolean[] gtIgnore = new boolean[gCount];
    for (int g = 0; g < gCount; g++) {
      gt[g] = gtIn.get(order[g]);
      gtIgnore[g] = ignoreIn[order[g]];
    }
    long[][] gtMatch = new long[tCount][gCount];
    long[][] dtMatch = new long[tCount][dCount];
    boolean[][] dtIgnore = new boolean[tCount][dCount];
    if (iousIn != null) {
      for (int t = 0; t < tCount; t++) {
        for (int d = 0; d < dCount; d++) {
          double iou = Math.min(IOU_THRESHOLDS[t], 1 - 1e-10);
          int m = -1;
          for (int g = 0; g < gCount; g++) {
            if (gtMatch[t][g] > 0 && !gt[g].crowd) {
              continue;
            }
            if (m > -1 && !gtIgnore[m] && gtIgnore[g]) {
              break;
            }
            double v = iousIn[d][order[g]];
            if (v < iou) {
              continue;
            }
            iou = v;
            m = g;
          }
          if (m == -1) {
            continue;
          }
          dtIgnore[t][d] = gtIgnore[m];
          dtMatch[t][d] = gt[m].id;
          gtMatch[t][m] = dt.get(d).id;
        }
      }
    }
    double[] scores = new double[dCount];
    for (int d = 0; d < dCount; d++) {
      Obj o = dt.get(d);
      scores[d] = o.score;
      boolean outside = o.area < range[0] || o.area > range[1];
      for (int t = 0; t < tCount; t++) {
        dtIgnore[t][d] |= dtMatch[t][d] == 0 && outside;
      }
    }
    return new ImageEval(scores, dtMatch, dtIgnore, gtIgnore);
  }

  private static EvalSummary accumulate(
      IouType type, ImageEval[][][] evals, long[] categoryIds, int images) {
    int categories = categoryIds.length;
    int tCount = IOU_THRESHOLDS.length;
    int rCount = RECALL_THRESHOLDS.length;
    int aCount = AREA_RANGES.length;
    int mCount = MAX_DETS.length;
    double[][][][][] precision = new double[tCount][rCount][categories][aCount][mCount];
    double[][][][] recall = new double[tCount][categories][aCount][mCount];
    for (double[][][][] a : precision) {
      for (double[][][] b : a) {
        for (double[][] c : b) {
          for (double[] d : c) {
            Arrays.fill(d, -1);
          }
        }
      }
    }
    for (double[][][] a : recall) {
      for (double[][] b : a) {
        for (double[] c : b) {
          Arrays.fill(c, -1);
        }
      }
    }
    for (int k = 0; k < categories; k++) {
      for (int a = 0; a < aCount; a++) {
        for (int m = 0; m < mCount; m++) {
          int maxDet = MAX_DETS[m];
          List<ImageEval> e = new ArrayList<>();
          for (int i = 0; i < images; i++) {
            if (evals[k][a][i] != null) {
              e.add(evals[k][a][i]);
            }
          }
          if (e.isEmpty()) {
            continue;
          }
          int total = 0;
          int npig = 0;
          for (ImageEval ie : e) {
            total += Math.min(maxDet, ie.scores.length);
            for (boolean ig : ie.gtIgnore) {
              if (!ig) {
                npig++;
              }
            }
          }
          if (npig == 0) {
            continue;
          }
          double[] scores = new double[total];
          long[][] match = new long[tCount][total];
          boolean[][] ignore = new boolean[tCount][total];
          int c = 0;
          for (ImageEval ie : e) {
            int take = Math.min(maxDet, ie.scores.length);
            for (int d = 0; d < take; d++, c++) {
              scores[c] = ie.scores[d];
              for (int t = 0; t < tCount; t++) {
                match[t][c] = ie.dtMatch[t][d];
                ignore[t][c] = ie.dtIgnore[t][d];
              }
            }
          }
          Integer[] order = new Integer[total];
          for (int j = 0; j < total; j++) {
            order[j] = j;
          }
          // stable, as numpy's mergesort
          Arrays.sort(order, Comparator.comparingDouble((Integer j) -> -scores[j]));
          for (int t = 0; t < tCount; t++) {
            double[] rc = new double[total];
            double[] pr = new double[total];
            double tp = 0;
            double fp = 0;
            for (int j = 0; j < total; j++) {
              int s = order[j];
              if (!ignore[t][s]) {
                if (match[t][s] != 0) {
                  tp++;
                } else {
                  fp++;
                }
              }
              rc[j] = tp / npig;
              pr[j] = tp / (fp + tp + EPS);
            }
            recall[t][k][a][m] = total > 0 ? rc[total - 1] : 0;
            for (int j = total - 1; j > 0; j--) {
              if (pr[j] > pr[j - 1]) {
                pr[j - 1] = pr[j];
              }
            }
            for (int r = 0; r < rCount; r++) {
              int pi = searchSortedLeft(rc, RECALL_THRESHOLDS[r]);
              precision[t][r][k][a][m] = pi < total ? pr[pi] : 0;
            }
          }
        }
      }
    }
    double[] stats = new double[12];
    stats[0] = mean(precision, recall, true, null, 0, 2);
    stats[1] = mean(precision, recall, true, 0.5, 0, 2);
    stats[2] = mean(precision, recall, true, 0.75, 0, 2);
    stats[3] = mean(precision, recall, true, null, 1, 2);
    stats[4] = mean(precision, recall, true, null, 2, 2);
    stats[5] = mean(precision, recall, true, null, 3, 2);
    stats[6] = mean(precision, recall, false, null, 0, 0);
    stats[7] = mean(precision, recall, false, null, 0, 1);
    stats[8] = mean(precision, recall, false, null, 0, 2);
    stats[9] = mean(precision, recall, false, null, 1, 2);
    stats[10] = mean(precision, recall, false, null, 2, 2);
    stats[11] = mean(precision, recall, false, null, 3, 2);
    // each category's AP as detectron2 reports it: precision[:, :, k, area all, maxDets 100]
    Map<Long, Double> byCategory = new java.util.LinkedHashMap<>();
    for (int k = 0; k < categories; k++) {
      double sum = 0;
      int count = 0;
      for (int t = 0; t < tCount; t++) {
        for (int r = 0; r < rCount; r++) {
          double v = precision[t][r][k][0][mCount - 1];
          if (v > -1) {
            sum += v;
            count++;
          }
        }
      }
      if (count > 0) {
        byCategory.put(categoryIds[k], sum / count);
      }
    }
    return new EvalSummary(type, stats, byCategory);
  }

  /** pycocotools' {@code _summarize}: the mean over every entry above -1, or -1 if none. */
  private static double mean(
      double[][][][][] precision,
      double[][][][] recall,
      boolean ap,
      Double iouThreshold,
      int a,
      int m) {
    double sum = 0;
    int count = 0;
    for (int t = 0; t < IOU_THRESHOLDS.length; t++) {
      // exact comparison, as numpy.where(iouThr == p.iouThrs)
      if (iouThreshold != null && IOU_THRESHOLDS[t] != iouThreshold) {
        continue;
      }
      if (ap) {
        for (double[][][] byCategory : precision[t]) {
          for (double[][] k : byCategory) {
            double v = k[a][m];
            if (v > -1) {
              sum += v;
              count++;
            }
          }
        }
      } else {
        for (double[][] k : recall[t]) {
          double v = k[a][m];
          if (v > -1) {
            sum += v;
            count++;
          }
        }
      }
    }
    return count == 0 ? -1 : sum / count;
  }

  /** numpy's {@code searchsorted(a, v, side='left')} on an ascending array. */
  static int searchSortedLeft(double[] a, double v) {
    int lo = 0;
    int hi = a.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid] < v) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** numpy's {@code linspace(start, stop, num)} with its rounding: i * step + start, stop last. */
  static double[] linspace(double start, double stop, int num) {
    double step = (stop - start) / (num - 1);
    double[] y = new double[num];
    for (int i = 0; i < num; i++) {
      y[i] = i * step + start;
    }
    y[num - 1] = stop;
    return y;
  }

  private static Map<Long, Integer> index(long[] ids) {
    Map<Long, Integer> index = new HashMap<>();
    for (int i = 0; i < ids.length; i++) {
      index.put(ids[i], i);
    }
    return index;
  }

  /** A ground truth or detection as the evaluation sees it. */
  private static final class Obj {
    long id;
    double[] bbox;
    double area;
    boolean crowd;
    double score;
    CocoRle rle;
  }

  private static final class Prepared {
    final long[] imageIds;
    final long[] categoryIds;
    final Map<Long, List<Obj>> gts = new HashMap<>();
    final Map<Long, List<Obj>> dts = new HashMap<>();

    Prepared(long[] imageIds, long[] categoryIds) {
      this.imageIds = imageIds;
      this.categoryIds = categoryIds;
    }
  }

  /** pycocotools' per image, category and area range result (evalImgs entry). */
  private record ImageEval(
      double[] scores, long[][] dtMatch, boolean[][] dtIgnore, boolean[] gtIgnore) {}
}
