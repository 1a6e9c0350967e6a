package io.maskstream.trainer.model;

import org.bytedeco.pytorch.Tensor;

/**
 * Boxes of one image with their scores, best first: the RPN's proposals or the final detections'
 * boxes. Closing it closes both tensors.
 *
 * @param boxes {@code [K, 4]} float32, {@code [x1, y1, x2, y2]} in image pixels
 * @param scores {@code [K]} float32
 */
public record Proposals(Tensor boxes, Tensor scores) implements AutoCloseable {
  @Override
  public void close() {
    boxes.close();
    scores.close();
  }
}
