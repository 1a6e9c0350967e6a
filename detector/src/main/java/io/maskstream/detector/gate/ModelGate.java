package io.maskstream.detector.gate;

import io.maskstream.detector.model.OnnxMaskRcnn;
import io.maskstream.schemas.avro.GateFigures;
import java.nio.file.Path;
import java.util.List;

/**
 * Measures models on a held-out COCO dataset for {@code publish --gate}: box and mask AP, overall
 * and per class, of each model on the same images. The {@code maskstream} command provides the
 * implementation (the detector's inference and the trainer's COCO evaluator); {@link GateVerdict}
 * decides.
 */
@FunctionalInterface
public interface ModelGate {
  /**
   * A model to measure and how to name it in messages.
   *
   * @param role e.g. {@code candidate shapes@c9f086ade55b}
   * @param model the loaded model, run as the detector runs it; the caller owns it
   */
  record Entry(String role, OnnxMaskRcnn model) {}

  /**
   * The figures of every model on one dataset.
   *
   * @param images images evaluated
   * @param figures each model's figures, in the order given
   * @param leftOut dataset categories no model knows, which were not evaluated
   */
  record Evaluation(int images, List<GateFigures> figures, List<String> leftOut) {
    /** Copies the lists. */
    public Evaluation {
      figures = List.copyOf(figures);
      leftOut = List.copyOf(leftOut);
    }
  }

  /**
   * Runs every model over the dataset's images and evaluates their detections against its
   * annotations, on the categories the models know.
   *
   * @param data a COCO dataset folder ({@code annotations.json} and the images)
   * @throws io.maskstream.schemas.cli.UserException when the dataset cannot be read, lacks a class
   *     of one of the models, or has no annotations of their classes
   */
  Evaluation evaluate(Path data, List<Entry> models);
}
