package io.maskstream.sinks.jsonl;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.maskstream.schemas.avro.Box;
import io.maskstream.schemas.avro.Detection;
import io.maskstream.schemas.avro.FrameRef;
import io.maskstream.schemas.avro.InstanceMask;
import io.maskstream.schemas.avro.Keypoint;
import io.maskstream.schemas.avro.Timings;
import io.maskstream.sinks.join.JoinedFrame;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Formats one frame's joined events as one JSON object: the frame (camera, sequence, capture time,
 * size), the model, the timings, and the detections as COCO results ({@code image_id} = sequence,
 * {@code category_id}, {@code bbox} [x, y, w, h], {@code score}, {@code segmentation} as compressed
 * RLE {@code {"size": [h, w], "counts": "..."}}, {@code keypoints} as {@code [x1, y1, 1, ...]}),
 * plus the label, for a tracked detection its {@code tracker_id} (supervision's name for it), and
 * for a keypoint model each detection's {@code keypoint_scores} and the frame's {@code
 * keypoint_names} and {@code skeleton}.
 *
 * <p>Stateless and thread-safe.
 */
public final class CocoFrameJson {
  private static final JsonFactory JSON = new JsonFactory();

  private CocoFrameJson() {}

  /** The JSON object of {@code frame}, on one line without a trailing newline. */
  public static String format(JoinedFrame<?> frame) {
    StringWriter out = new StringWriter(512);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      write(g, frame);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  private static void write(JsonGenerator g, JoinedFrame<?> joined) throws IOException {
    FrameRef frame = joined.frame();
    g.writeStartObject();
    g.writeStringField("camera", frame.getCamera());
    g.writeNumberField("sequence", frame.getSequence());
    g.writeStringField("capture_time", frame.getCaptureTime().toString());
    g.writeNumberField("width", frame.getWidth());
    g.writeNumberField("height", frame.getHeight());
    g.writeObjectFieldStart("model");
    g.writeStringField("name", joined.model().getName());
    g.writeStringField("version", joined.model().getVersion());
    g.writeEndObject();
    if (joined.detections() != null) {
      Timings t = joined.detections().getTimings();
      g.writeObjectFieldStart("timings");
      g.writeNumberField("decode_ms", t.getDecodeMs());
      g.writeNumberField("preprocess_ms", t.getPreprocessMs());
      g.writeNumberField("inference_ms", t.getInferenceMs());
      g.writeNumberField("postprocess_ms", t.getPostprocessMs());
      Instant processed = t.getProcessedTime();
      if (processed != null && processed.toEpochMilli() > 0) {
        g.writeStringField("processed_time", processed.toString());
        g.writeNumberField(
            "latency_ms", processed.toEpochMilli() - frame.getCaptureTime().toEpochMilli());
      }
      g.writeEndObject();
    }
    g.writeBooleanField("masks_missing", joined.masks() == null);
    Map<Integer, InstanceMask> masks = new HashMap<>();
    if (joined.masks() != null) {
      for (InstanceMask mask : joined.masks().getMasks()) {
        masks.put(mask.getDetectionIndex(), mask);
      }
    }
    if (joined.detections() != null && !joined.detections().getKeypointNames().isEmpty()) {
      g.writeArrayFieldStart("keypoint_names");
      for (String name : joined.detections().getKeypointNames()) {
        g.writeString(name);
      }
      g.writeEndArray();
      g.writeArrayFieldStart("skeleton");
      for (List<Integer> edge : joined.detections().getSkeleton()) {
        g.writeArray(edge.stream().mapToInt(Integer::intValue).toArray(), 0, edge.size());
      }
      g.writeEndArray();
    }
    g.writeArrayFieldStart("detections");
    List<Detection> detections =
        joined.detections() == null ? List.of() : joined.detections().getDetections();
    for (int i = 0; i < detections.size(); i++) {
      Detection d = detections.get(i);
      Box b = d.getBox();
      g.writeStartObject();
      g.writeNumberField("image_id", frame.getSequence());
      g.writeNumberField("category_id", d.getClassId());
      g.writeStringField("label", d.getLabel());
      g.writeArrayFieldStart("bbox");
      g.writeNumber(b.getX1());
      g.writeNumber(b.getY1());
      g.writeNumber(b.getX2() - b.getX1());
      g.writeNumber(b.getY2() - b.getY1());
      g.writeEndArray();
      g.writeNumberField("score", d.getScore());
      if (d.getTrackId() != null) {
        g.writeNumberField("tracker_id", d.getTrackId());
      }
      if (d.getKeypoints() != null) {
        // COCO's x, y, v with v = 1, as torchvision's evaluation writes keypoint results
        g.writeArrayFieldStart("keypoints");
        for (Keypoint k : d.getKeypoints()) {
          g.writeNumber(k.getX());
          g.writeNumber(k.getY());
          g.writeNumber(1);
        }
        g.writeEndArray();
        g.writeArrayFieldStart("keypoint_scores");
        for (Keypoint k : d.getKeypoints()) {
          g.writeNumber(k.getScore());
        }
        g.writeEndArray();
      }
      InstanceMask mask = masks.get(i);
      if (mask != null) {
        g.writeObjectFieldStart("segmentation");
        g.writeArrayFieldStart("size");
        g.writeNumber(mask.getRle().getHeight());
        g.writeNumber(mask.getRle().getWidth());
        g.writeEndArray();
        g.writeStringField("counts", mask.getRle().getCounts());
        g.writeEndObject();
      }
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeEndObject();
  }
}
