package io.maskstream.launcher;

import io.maskstream.detector.Instance;
import io.maskstream.detector.Segmentation;
import io.maskstream.detector.SegmentationException;
import io.maskstream.detector.gate.ModelGate;
import io.maskstream.detector.image.FrameLimits;
import io.maskstream.detector.offline.ImageSource;
import io.maskstream.schemas.avro.ClassAp;
import io.maskstream.schemas.avro.GateFigures;
import io.maskstream.schemas.cli.UserException;
import io.maskstream.trainer.coco.CocoCategory;
import io.maskstream.trainer.coco.CocoFile;
import io.maskstream.trainer.coco.CocoJson;
import io.maskstream.trainer.coco.CocoResult;
import io.maskstream.trainer.eval.CocoEvaluator;
import io.maskstream.trainer.eval.CocoResults;
import io.maskstream.trainer.eval.EvalSummary;
import io.maskstream.trainer.eval.IouType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The gate's measurement: every model run over a COCO dataset's images through the detector's
 * decode and inference ({@code maskstream infer}'s path), its detections evaluated with {@code
 * maskstream eval}'s evaluator (pycocotools' COCO AP), overall and per category.
 *
 * <p>A model's classes are matched to the dataset's categories by name (class 0, the background,
 * and torchvision's unnamed {@code N/A} ids aside), so two models whose class ids differ - a class
 * list that grew - are measured on the same categories. Every class of every model must be a
 * category of the dataset; categories no model knows are left out of the evaluation, so they drag
 * neither model's AP down. Stateless.
 */
public final class CocoModelGate implements ModelGate {
  @Override
  public Evaluation evaluate(Path data, List<Entry> models) {
    Path annotations = data.resolve("annotations.json");
    if (!Files.isRegularFile(annotations)) {
      throw new UserException(
          "--gate " + data + " has no annotations.json: give a held-out COCO dataset folder");
    }
    CocoFile groundTruth = CocoJson.readAnnotations(annotations);
    Map<String, CocoCategory> byName = new LinkedHashMap<>();
    for (CocoCategory c : groundTruth.categories()) {
      byName.putIfAbsent(c.name(), c);
    }
    List<long[]> categoryOfClass = new ArrayList<>();
    Set<String> known = new LinkedHashSet<>();
    for (Entry entry : models) {
      List<String> names = entry.model().classes().names();
      long[] ids = new long[names.size()];
      for (int classId = 0; classId < names.size(); classId++) {
        ids[classId] = -1;
        String name = names.get(classId);
        if (classId == 0 || name.isBlank() || name.equals("N/A")) {
          continue;
        }
        CocoCategory category = byName.get(name);
        if (category == null) {
          throw new UserException(
              "--gate "
                  + data
                  + " has no category '"
                  + name
                  + "', a class of "
                  + entry.role()
                  + " (its categories: "
                  + String.join(", ", byName.keySet())
                  + "): gate on data labelled with every class of both models");
        }
        ids[classId] = category.id();
        known.add(name);
      }
      categoryOfClass.add(ids);
    }
    List<CocoCategory> evaluated = new ArrayList<>();
    List<String> leftOut = new ArrayList<>();
    for (CocoCategory c : groundTruth.categories()) {
      if (known.contains(c.name())) {
        evaluated.add(c);
      } else {
        leftOut.add(c.name());
      }
    }
    CocoFile measured = new CocoFile(groundTruth.images(), evaluated, groundTruth.annotations());
    List<List<CocoResult>> results = new ArrayList<>();
    models.forEach(m -> results.add(new ArrayList<>()));
    int[] images = new int[1];
    try {
      ImageSource.dataset(data)
          .forEach(
              FrameLimits.DEFAULTS,
              (imageId, name, image, reason) -> {
                if (image == null) {
                  throw new UserException(
                      "--gate " + data + ": image " + name + " does not decode: " + reason);
                }
                images[0]++;
                for (int m = 0; m < models.size(); m++) {
                  Entry entry = models.get(m);
                  Segmentation found;
                  try {
                    found = entry.model().segment(image, 0f);
                  } catch (SegmentationException e) {
                    throw new UserException(
                        entry.role() + " fails on gate image " + name + ": " + e.getMessage(), e);
                  }
                  add(imageId, found, categoryOfClass.get(m), results.get(m));
                }
              });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<GateFigures> figures = new ArrayList<>();
    for (int m = 0; m < models.size(); m++) {
      CocoResults detections = CocoResults.of(results.get(m), measured, "gate");
      EvalSummary box = CocoEvaluator.evaluate(measured, detections, IouType.BBOX);
      EvalSummary mask = CocoEvaluator.evaluate(measured, detections, IouType.SEGM);
      if (box.stat(0) < 0) {
        throw new UserException(
            "--gate "
                + data
                + " has no annotations of the models' classes ("
                + String.join(", ", known)
                + "): nothing to measure");
      }
      List<ClassAp> classes = new ArrayList<>();
      for (CocoCategory c : evaluated) {
        Double b = box.categoryAp().get(c.id());
        if (b != null) {
          classes.add(
              ClassAp.newBuilder()
                  .setName(c.name())
                  .setBoxAp(b)
                  .setMaskAp(mask.categoryAp().getOrDefault(c.id(), 0.0))
                  .build());
        }
      }
      figures.add(
          GateFigures.newBuilder()
              .setBoxAp(box.stat(0))
              .setMaskAp(Math.max(0, mask.stat(0)))
              .setClasses(classes)
              .build());
    }
    return new Evaluation(images[0], figures, leftOut);
  }

  /** The detections of one image as COCO results, class ids mapped to the dataset's categories. */
  private static void add(
      long imageId, Segmentation found, long[] categoryOfClass, List<CocoResult> out) {
    for (Instance d : found.instances()) {
      long category = d.classId() < categoryOfClass.length ? categoryOfClass[d.classId()] : -1;
      if (category < 0) {
        continue; // the background or an unnamed id: no category to be right or wrong about
      }
      out.add(
          new CocoResult(
              out.size(),
              imageId,
              category,
              (double) d.score(),
              new double[] {d.x1(), d.y1(), d.x2() - d.x1(), d.y2() - d.y1()},
              d.mask() == null
                  ? null
                  : new io.maskstream.trainer.coco.Segmentation.CompressedRle(
                      d.mask().height(), d.mask().width(), d.mask().toCompressedString()),
              List.of()));
    }
  }
}
