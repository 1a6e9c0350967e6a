package io.maskstream.sinks.join;

import io.maskstream.schemas.avro.FrameRef;
import io.maskstream.schemas.avro.ModelRef;

/**
 * Identifies the events of one frame as seen by one model: the detections and masks of the same key
 * belong together.
 *
 * @param camera camera id
 * @param sequence per-camera frame number
 * @param modelVersion content hash of the model that produced the events
 */
public record FrameKey(String camera, long sequence, String modelVersion) {
  /** The key of an event with {@code frame} and {@code model}. */
  public static FrameKey of(FrameRef frame, ModelRef model) {
    return new FrameKey(frame.getCamera(), frame.getSequence(), model.getVersion());
  }
}
