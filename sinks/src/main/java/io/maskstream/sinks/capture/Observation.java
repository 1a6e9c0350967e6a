package io.maskstream.sinks.capture;

import io.maskstream.schemas.avro.Detection;
import java.util.List;

/**
 * One frame of one camera with the serving model's detections, as the selector sees it.
 *
 * @param camera camera id
 * @param sequence per-camera frame number
 * @param captureMillis capture time, epoch milliseconds
 * @param detections the model's detections, in the event's order
 * @param payload whatever the caller needs once the frame is chosen (image, masks)
 * @param <P> the payload type
 */
public record Observation<P>(
    String camera, long sequence, long captureMillis, List<Detection> detections, P payload) {
  /** Copies the detections. */
  public Observation {
    detections = List.copyOf(detections);
  }
}
