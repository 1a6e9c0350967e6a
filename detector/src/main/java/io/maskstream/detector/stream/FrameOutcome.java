package io.maskstream.detector.stream;

import io.maskstream.detector.Segmentation;
import io.maskstream.schemas.avro.DeadLetter;
import io.maskstream.schemas.avro.ObjectEvent;
import io.maskstream.schemas.avro.ZoneEvent;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What the detect node makes of one frame record, as the typed value that flows between the nodes
 * of the detector topology: the frame's segmentation, or the record's dead letter. Later nodes read
 * or enrich it; {@link EventEncoder} turns it into the records of the event topics.
 */
public sealed interface FrameOutcome {
  /**
   * A frame and what the model found in it.
   *
   * @param camera the camera id (valid by the id rules)
   * @param sequence the frame's sequence number
   * @param captureTime when the frame was captured
   * @param segmentation the detections, masks at the frame's size, model and timings
   * @param processedMillis wall clock when the model's work ended
   * @param trackIds the track id of each detection (0 for none), or null when not tracked
   */
  record Detected(
      String camera,
      long sequence,
      Instant captureTime,
      Segmentation segmentation,
      long processedMillis,
      long[] trackIds)
      implements FrameOutcome {
    /** Checks the parts are present and there is a track id per detection. */
    public Detected {
      Objects.requireNonNull(camera, "camera");
      Objects.requireNonNull(captureTime, "captureTime");
      Objects.requireNonNull(segmentation, "segmentation");
      if (trackIds != null && trackIds.length != segmentation.instances().size()) {
        throw new IllegalArgumentException(
            trackIds.length + " track ids for " + segmentation.instances().size() + " detections");
      }
    }

    /** The same frame with track ids. */
    public Detected tracked(long[] ids) {
      return new Detected(camera, sequence, captureTime, segmentation, processedMillis, ids);
    }
  }

  /**
   * What happened to a camera's tracked objects in one frame.
   *
   * @param objects new, update and end events, in that order
   * @param zones what they did at the camera's zones and lines, in the order it happened
   */
  record TrackEvents(List<ObjectEvent> objects, List<ZoneEvent> zones) implements FrameOutcome {
    /** Copies the lists. */
    public TrackEvents {
      objects = List.copyOf(objects);
      zones = List.copyOf(zones);
    }
  }

  /**
   * A record that did not become events, with its original bytes and the reason.
   *
   * @param letter the dead-letter record
   */
  record Failed(DeadLetter letter) implements FrameOutcome {
    /** Checks the letter is present. */
    public Failed {
      Objects.requireNonNull(letter, "letter");
    }
  }
}
