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
 * COCO detection evaluation (box, mask or keypoint AP and AR) with pycocotools' {@code COCOeval}
 * semantics, step for step: {@code evaluate}, {@code accumulate} and {@code summarize} with the
 * default parameters ({@code setDetParams}, or {@code setKpParams} for keypoints: 20 detections per
 * image, areas all / medium / large, object keypoint similarity with per-keypoint sigmas).
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

  /** Detections per image for keypoints. */
  static final int[] KEYPOINT_MAX_DETS = {20};

  /** Area ranges all, medium, large for keypoints. */
  static final double[][] KEYPOINT_AREA_RANGES = {
    {0, 1e5 * 1e5}, {32 * 32, 96 * 96}, {96 * 96, 1e5 * 1e5}
  };

  /**
   * pycocotools' {@code kpt_oks_sigmas}: the per-keypoint standard deviations of COCO's 17 person
   * keypoints (nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles).
   */
  public static final double[] COCO_PERSON_SIGMAS = cocoSigmas();

  /** The sigma {@link #sigmasFor} gives each keypoint of objects other than COCO's people. */
  public static final double OTHER_KEYPOINT_SIGMA = 0.05;

  /**
   * The per-keypoint sigmas for objects with {@code keypoints} keypoints when none are given:
   * COCO's person sigmas for 17, otherwise {@value #OTHER_KEYPOINT_SIGMA} for each (a point about
   * as precise as a COCO shoulder or knee; pass sigmas of your own to {@code eval} to change it).
   */
  public static double[] sigmasFor(int keypoints) {
    if (keypoints == COCO_PERSON_SIGMAS.length) {
      return COCO_PERSON_SIGMAS.clone();
    }
    double[] out = new double[keypoints];
    java.util.Arrays.fill(out, OTHER_KEYPOINT_SIGMA);
    return out;
  }

  private static double[] cocoSigmas() {
    double[] tenths = {
      .26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89
    };
    double[] sigmas = new double[tenths.length];
    for (int i = 0; i < tenths.length; i++) {
      sigmas[i] = tenths[i] / 10.0; // numpy divides the array by 10.0 element by element
    }
    return sigmas;
  }

  /** The parameters of one IoU type: detections per image and area ranges. */
  private record Params(int[] maxDets, double[][] areaRanges, double[] sigmas) {
    static Params of(IouType type, double[] sigmas) {
      return type == IouType.KEYPOINTS
          ? new Params(KEYPOINT_MAX_DETS, KEYPOINT_AREA_RANGES, sigmas)
          : new Params(MAX_DETS, AREA_RANGES, null);
    }

    int lastMaxDet() {
      return maxDets[maxDets.length - 1];
    }
  }

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
    return evaluate(
        groundTruth, results, type, type == IouType.KEYPOINTS ? COCO_PERSON_SIGMAS : null);
  }

  /**
   * Evaluates keypoints with the given per-keypoint sigmas (pycocotools' {@code
   * params.kpt_oks_sigmas}, one per keypoint of every category), or boxes or masks ({@code sigmas}
   * unused).
   *
   * @throws CocoFormatException if an annotation is malformed or lacks what this evaluation needs,
   *     or an object has another number of keypoints than there are sigmas
   */
  public static EvalSummary evaluate(
      CocoFile groundTruth, CocoResults results, IouType type, double[] sigmas) {
    Params params = Params.of(type, sigmas);
    Prepared prepared = prepare(groundTruth, results, type, params);
    int images = prepared.imageIds.length;
    int categories = prepared.categoryIds.length;
    int areas = params.areaRanges().length;
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
        double[][] ious = computeIou(gt, dt, type, params);
        for (int a = 0; a < areas; a++) {
          evals[k][a][i] = evaluateImage(gt, dt, ious, params.areaRanges()[a]);
        }
      }
    }
    return accumulate(type, params, evals, prepared.categoryIds, images);
  }

  private static Prepared prepare(
      CocoFile groundTruth, CocoResults results, IouType type, Params params) {
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
      if (type == IouType.KEYPOINTS) {
        if (ann.keypoints() == null || ann.numKeypoints() == null) {
          throw new CocoFormatException(
              where + " needs \"keypoints\" and \"num_keypoints\" for keypoint AP");
        }
        o.keypoints = keypoints(ann.keypoints(), params, where);
        // pycocotools ignores a ground truth without labelled keypoints, as it does a crowd
        o.ignore = ann.numKeypoints() == 0;
      }
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
      if (type == IouType.KEYPOINTS) {
        String where = "results: detection " + d.id();
        if (d.keypoints() == null) {
          throw new CocoFormatException(where + " has no \"keypoints\" for keypoint AP");
        }
        o.keypoints = keypoints(d.keypoints(), params, where);
      }
      if (type == IouType.SEGM) {
        o.rle =
            CocoResults.toRle(
                d.segmentation(), images.get(d.imageId()), "results: detection " + d.id());
      }
      p.dts.computeIfAbsent((long) k * imageIds.length + i, x -> new ArrayList<>()).add(o);
    }
    // highest score first, ties in file order (numpy's mergesort is stable), at most 100 (20)
    int maxDet = params.lastMaxDet();
    for (Map.Entry<Long, List<Obj>> e : p.dts.entrySet()) {
      List<Obj> sorted = new ArrayList<>(e.getValue());
      sorted.sort(Comparator.comparingDouble((Obj o) -> -o.score));
      e.setValue(sorted.size() > maxDet ? List.copyOf(sorted.subList(0, maxDet)) : sorted);
    }
    return p;
  }

  private static double[] keypoints(double[] keypoints, Params params, String where) {
    if (keypoints.length != 3 * params.sigmas().length) {
      throw new CocoFormatException(
          where
              + " has "
              + keypoints.length / 3
              + " keypoints, but there are "
              + params.sigmas().length
              + " keypoint sigmas: give one sigma per keypoint");
    }
    return keypoints;
  }

  private static double[][] computeIou(List<Obj> gt, List<Obj> dt, IouType type, Params params) {
    if (gt.isEmpty() || dt.isEmpty()) {
      return null;
    }
    if (type == IouType.KEYPOINTS) {
      return oks(gt, dt, params.sigmas());
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

  /**
   * pycocotools' {@code computeOks}: for each detection and ground truth, the mean over the ground
   * truth's labelled keypoints of {@code exp(-d^2 / (2 * area * (2 sigma)^2))}; for a ground truth
   * without labelled keypoints, d is each detected keypoint's distance outside the ground truth's
   * box enlarged by its size on every side, over all keypoints. Indexed [detection][ground truth].
   */
  private static double[][] oks(List<Obj> gt, List<Obj> dt, double[] sigmas) {
    int k = sigmas.length;
    double[] vars = new double[k];
    for (int j = 0; j < k; j++) {
      double twice = sigmas[j] * 2;
      vars[j] = twice * twice;
    }
    double[][] ious = new double[dt.size()][gt.size()];
    for (int g = 0; g < gt.size(); g++) {
      Obj truth = gt.get(g);
      double[] kg = truth.keypoints;
      int labelled = 0;
      for (int j = 0; j < k; j++) {
        if (kg[3 * j + 2] > 0) {
          labelled++;
        }
      }
      double[] bb = truth.bbox;
      double x0 = bb[0] - bb[2];
      double x1 = bb[0] + bb[2] * 2;
      double y0 = bb[1] - bb[3];
      double y1 = bb[1] + bb[3] * 2;
      for (int d = 0; d < dt.size(); d++) {
        double[] kd = dt.get(d).keypoints;
        double sum = 0;
        int count = 0;
        for (int j = 0; j < k; j++) {
          double xd = kd[3 * j];
          double yd = kd[3 * j + 1];
          double dx;
          double dy;
          if (labelled > 0) {
            if (kg[3 * j + 2] <= 0) {
              continue;
            }
            dx = xd - kg[3 * j];
            dy = yd - kg[3 * j + 1];
          } else {
            dx = Math.max(0, x0 - xd) + Math.max(0, xd - x1);
            dy = Math.max(0, y0 - yd) + Math.max(0, yd - y1);
          }
          // numpy evaluates (dx**2 + dy**2) / vars / (area + spacing(1)) / 2 left to right
          double e = (dx * dx + dy * dy) / vars[j] / (truth.area + EPS) / 2;
          sum += Math.exp(-e);
          count++;
        }
        ious[d][g] = sum / count;
      }
    }
    return ious;
  }

  private static ImageEval evaluateImage(
      List<Obj> gtIn, List<Obj> dt, double[][] iousIn, double[] range) {
    int gCount = gtIn.size();
    int dCount = dt.size();
    int tCount = IOU_THRESHOLDS.length;
    boolean[] ignoreIn = new boolean[gCount];
    for (int g = 0; g < gCount; g++) {
      Obj o = gtIn.get(g);
      ignoreIn[g] = o.crowd || o.ignore || o.area < range[0] || o.area > range[1];
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
      IouType type, Params params, ImageEval[][][] evals, long[] categoryIds, int images) {
    int categories = categoryIds.length;
    int tCount = IOU_THRESHOLDS.length;
    int rCount = RECALL_THRESHOLDS.length;
    int aCount = params.areaRanges().length;
    int mCount = params.maxDets().length;
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
          int maxDet = params.maxDets()[m];
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
    double[] stats = type == IouType.KEYPOINTS ? keypointStats(precision, recall) : new double[12];
    if (type != IouType.KEYPOINTS) {
      detectionStats(precision, recall, stats);
    }
    // each category's AP as detectron2 reports it: precision[:, :, k, area all, last maxDets]
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

  /** pycocotools' {@code _summarizeKps}: AP and AR at 20 detections, all / .50 / .75 / M / L. */
  private static double[] keypointStats(double[][][][][] precision, double[][][][] recall) {
    double[] stats = new double[10];
    for (int i = 0; i < 2; i++) {
      boolean ap = i == 0;
      stats[5 * i] = mean(precision, recall, ap, null, 0, 0);
      stats[5 * i + 1] = mean(precision, recall, ap, 0.5, 0, 0);
      stats[5 * i + 2] = mean(precision, recall, ap, 0.75, 0, 0);
      stats[5 * i + 3] = mean(precision, recall, ap, null, 1, 0);
      stats[5 * i + 4] = mean(precision, recall, ap, null, 2, 0);
    }
    return stats;
  }

  /** pycocotools' {@code _summarizeDets}: the 12 box or mask stats. */
  private static void detectionStats(
      double[][][][][] precision, double[][][][] recall, double[] stats) {
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
    double[] keypoints;
    boolean ignore;
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
