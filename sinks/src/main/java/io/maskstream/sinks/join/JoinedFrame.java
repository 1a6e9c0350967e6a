package io.maskstream.sinks.join;

import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.FrameRef;
import io.maskstream.schemas.avro.Masks;
import io.maskstream.schemas.avro.ModelRef;
import java.util.List;

/**
 * The detections and masks of one frame, joined; one half is null when it did not arrive within the
 * join timeout.
 *
 * @param key camera, sequence and model version
 * @param detections the detections event, or null
 * @param masks the masks event, or null
 * @param positions where the joined records came from (for offset bookkeeping), in arrival order
 * @param <P> the caller's record position type
 */
public record JoinedFrame<P>(FrameKey key, Detections detections, Masks masks, List<P> positions) {
  /** True when both halves are present. */
  public boolean complete() {
    return detections != null && masks != null;
  }

  /** The frame reference of whichever half is present. */
  public FrameRef frame() {
    return detections != null ? detections.getFrame() : masks.getFrame();
  }

  /** The model reference of whichever half is present. */
  public ModelRef model() {
    return detections != null ? detections.getModel() : masks.getModel();
  }
}
