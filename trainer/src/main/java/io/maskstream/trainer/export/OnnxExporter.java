package io.maskstream.trainer.export;

import ai.onnx.proto.OnnxMl;
import io.maskstream.schemas.models.ModelFile;
import io.maskstream.trainer.model.MaskRcnn;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Writes a {@link MaskRcnn} as an ONNX model that follows torchvision's Mask R-CNN export contract,
 * which the detector runs ({@link ModelFile}): one input {@value ModelFile#INPUT_IMAGE}, a float
 * RGB image {@code [3, H, W]} in [0, 1] of any size, and everything else inside the graph
 * (normalisation, resize, padding, both stages, post-processing and mask pasting); outputs {@value
 * ModelFile#OUTPUT_BOXES} {@code [N, 4]} (float {@code x1, y1, x2, y2} in the image's pixels),
 * {@value ModelFile#OUTPUT_LABELS} {@code [N]} (int64), {@value ModelFile#OUTPUT_SCORES} {@code
 * [N]} (descending) and {@value ModelFile#OUTPUT_MASKS} {@code [N, 1, H, W]} (float probabilities
 * at the image's size). An image with no detections gives {@code N = 0}. The graph computes what
 * {@link MaskRcnn#detect} computes for one image, in evaluation mode whatever the model's mode,
 * with the model's score and NMS thresholds and detections per image.
 *
 * <p>The file is ONNX IR version 8 with operator set 17 (ONNX 1.12 and later read it). Its metadata
 * holds {@value ModelFile#CONTRACT_KEY} = {@value ModelFile#CONTRACT} (the detector recognises
 * trainer exports by this key), {@value ModelFile#NAME_KEY}, {@value ModelFile#PRESET_KEY}, {@value
 * ModelFile#CLASSES_KEY} (a JSON array of class names, index = label id) and the caller's
 * provenance entries.
 *
 * <p>Stateless; the model is only read.
 */
public final class OnnxExporter {
  /** The ONNX IR version written. */
  public static final long IR_VERSION = 8;

  /** The operator set of the default domain. */
  public static final long OPSET = 17;

  private OnnxExporter() {}

  /**
   * Exports {@code model} to {@code out}, replacing it; the file appears complete or not at all.
   *
   * @throws IllegalArgumentException if the class names do not match the model's classes, or the
   *     provenance uses a key the exporter writes itself
   * @throws IOException when the file cannot be written
   */
  public static void export(MaskRcnn model, ExportInfo info, Path out) throws IOException {
    byte[] bytes = toBytes(model, info);
    Path target = out.toAbsolutePath();
    Path dir = target.getParent();
    Files.createDirectories(dir);
    // a sibling written with the default permissions (createTempFile would make it owner-only)
    Path tmp =
        dir.resolve(
            "." + target.getFileName() + "." + Long.toHexString(System.nanoTime()) + ".tmp");
    try {
      Files.write(tmp, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      try {
        Files.move(
            tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** The serialised ONNX model of {@link #export}. */
  public static byte[] toBytes(MaskRcnn model, ExportInfo info) {
    return model(model, info, Set.of()).toByteArray();
  }

  /**
   * The ONNX model, with the named intermediate tensors of {@link MaskRcnnGraph#debugTensors} as
   * extra outputs (float, any shape) for checking parts of the graph.
   */
  static OnnxMl.ModelProto model(MaskRcnn model, ExportInfo info, Set<String> extraOutputs) {
    long classes = model.roiHeads().numClasses();
    if (info.classNames().size() != classes) {
      throw new IllegalArgumentException(
          info.classNames().size()
              + " class names for a model of "
              + classes
              + " classes (background included)");
    }
    int keypoints = model.roiHeads().keypoints();
    if (info.keypointNames().size() != keypoints) {
      throw new IllegalArgumentException(
          info.keypointNames().size()
              + " keypoint names for a model of "
              + keypoints
              + " keypoints");
    }
    OnnxGraph g = new OnnxGraph(info.name());
    String image = g.input(ModelFile.INPUT_IMAGE, OnnxGraph.FLOAT, 3L, "height", "width");
    MaskRcnnGraph net = new MaskRcnnGraph(new GraphContext(g), model);
    MaskRcnnGraph.Outputs out = net.build(image);
    g.output(out.boxes(), ModelFile.OUTPUT_BOXES, OnnxGraph.FLOAT, "detections", 4L);
    g.output(out.labels(), ModelFile.OUTPUT_LABELS, OnnxGraph.INT64, "detections");
    g.output(out.scores(), ModelFile.OUTPUT_SCORES, OnnxGraph.FLOAT, "detections");
    if (out.masks() != null) {
      g.output(
          out.masks(),
          ModelFile.OUTPUT_MASKS,
          OnnxGraph.FLOAT,
          "detections",
          1L,
          "height",
          "width");
    }
    if (out.keypoints() != null) {
      g.output(
          out.keypoints(),
          ModelFile.OUTPUT_KEYPOINTS,
          OnnxGraph.FLOAT,
          "detections",
          (long) keypoints,
          3L);
      g.output(
          out.keypointScores(),
          ModelFile.OUTPUT_KEYPOINT_SCORES,
          OnnxGraph.FLOAT,
          "detections",
          (long) keypoints);
    }
    for (String name : extraOutputs) {
      String tensor = net.debugTensors().get(name);
      if (tensor == null) {
        throw new IllegalArgumentException(
            "no intermediate " + name + "; known: " + net.debugTensors().keySet());
      }
      g.outputOfAnyShape(tensor, name, OnnxGraph.FLOAT);
    }
    OnnxMl.ModelProto.Builder proto =
        OnnxMl.ModelProto.newBuilder()
            .setIrVersion(IR_VERSION)
            .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
            .setProducerName("maskstream-trainer")
            .setProducerVersion(version())
            .setDocString(
                "Mask R-CNN ("
                    + info.preset()
                    + ") exported by maskstream's trainer: image [3,H,W] float RGB in 0..1 ->"
                    + " boxes [N,4], labels [N], scores [N]"
                    + (out.masks() == null ? "" : ", masks [N,1,H,W]")
                    + (out.keypoints() == null
                        ? ""
                        : ", keypoints [N,K,3], keypoints_scores [N,K]"))
            .setGraph(g.build());
    for (Map.Entry<String, String> e : metadata(info).entrySet()) {
      proto.addMetadataProps(
          OnnxMl.StringStringEntryProto.newBuilder().setKey(e.getKey()).setValue(e.getValue()));
    }
    return proto.build();
  }

  private static Map<String, String> metadata(ExportInfo info) {
    Map<String, String> out = new LinkedHashMap<>();
    out.put(ModelFile.CONTRACT_KEY, ModelFile.CONTRACT);
    out.put(ModelFile.NAME_KEY, info.name());
    out.put(ModelFile.PRESET_KEY, info.preset());
    out.put(ModelFile.CLASSES_KEY, ModelFile.classesJson(info.classNames()));
    if (!info.keypointNames().isEmpty()) {
      out.put(ModelFile.KEYPOINTS_KEY, ModelFile.namesJson(info.keypointNames()));
      out.put(ModelFile.SKELETON_KEY, ModelFile.skeletonJson(info.skeleton()));
    }
    for (Map.Entry<String, String> e : info.provenance().entrySet()) {
      if (out.containsKey(e.getKey())) {
        throw new IllegalArgumentException(
            "provenance must not set " + e.getKey() + ": the exporter writes it");
      }
      out.put(e.getKey(), e.getValue());
    }
    return out;
  }

  private static String version() {
    String v = OnnxExporter.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
