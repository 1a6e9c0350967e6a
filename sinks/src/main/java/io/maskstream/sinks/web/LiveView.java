package io.maskstream.sinks.web;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.maskstream.schemas.avro.Detection;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.Frame;
import io.maskstream.schemas.avro.ImageEncoding;
import io.maskstream.schemas.avro.InstanceMask;
import io.maskstream.schemas.avro.Masks;
import io.maskstream.sinks.join.EventJoiner;
import io.maskstream.sinks.join.FrameKey;
import io.maskstream.sinks.join.JoinedFrame;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the page shows, built from the three topics: frames are joined with their detections and
 * masks by camera and sequence, and each joined frame becomes one update (JSON) for the {@link
 * Broadcaster}, with the camera's fps, capture-to-event latency and model.
 *
 * <p>A camera whose frames have no events (no detector running, or it lags by seconds) still shows
 * its raw frames. Every buffer is bounded - recent frames per camera, events waiting for their
 * frame, number of cameras - so memory stays flat however long it runs. Masks go to the browser as
 * COCO compressed RLE strings, which it decodes itself: a few hundred bytes per mask instead of a
 * PNG per frame, and no image encoding on the server.
 *
 * <p>Not thread-safe: owned by the web sink's consumer thread.
 */
public final class LiveView {
  static final int MAX_CAMERAS = 256;
  private static final long RAW_AFTER_MS = 2000;
  private static final long AWAIT_FRAME_MS = 3000;
  private static final int AWAIT_FRAME_CAPACITY = 1024;
  private static final int FPS_WINDOW = 30;
  private static final JsonFactory JSON = new JsonFactory();

  private final int framesPerCamera;
  private final Broadcaster broadcaster;
  private final EventJoiner<Long> joiner;
  private final LinkedHashMap<String, CameraState> cameras =
      new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, CameraState> eldest) {
          return size() > MAX_CAMERAS;
        }
      };
  private final LinkedHashMap<FrameKey, Awaiting> awaitingFrame = new LinkedHashMap<>();
  private long published;

  private record Awaiting(JoinedFrame<Long> events, long since) {}

  private static final class CameraState {
    final ArrayDeque<Frame> frames = new ArrayDeque<>();
    final ArrayDeque<Long> captureTimes = new ArrayDeque<>();
    long lastSequence = Long.MIN_VALUE;
    long lastJoinedAt;
    Double latencyMs;
    String modelName;
    String modelVersion;
  }

  /** A view keeping {@code framesPerCamera} recent frames per camera, publishing to {@code out}. */
  public LiveView(int framesPerCamera, Duration maskWait, Broadcaster out) {
    this.framesPerCamera = framesPerCamera;
    this.broadcaster = out;
    this.joiner = new EventJoiner<>(maskWait, 4096);
  }

  /** Takes a frame; publishes it right away when its events were waiting or none are coming. */
  public void onFrame(Frame frame, long nowMillis) {
    CameraState camera = camera(frame.getCamera());
    camera.frames.addLast(frame);
    while (camera.frames.size() > framesPerCamera) {
      camera.frames.removeFirst();
    }
    Iterator<Map.Entry<FrameKey, Awaiting>> it = awaitingFrame.entrySet().iterator();
    List<JoinedFrame<Long>> ready = new ArrayList<>();
    while (it.hasNext()) {
      Map.Entry<FrameKey, Awaiting> e = it.next();
      if (e.getKey().camera().equals(frame.getCamera())
          && e.getKey().sequence() == frame.getSequence()) {
        ready.add(e.getValue().events());
        it.remove();
      }
    }
    for (JoinedFrame<Long> events : ready) {
      publish(camera, frame, events, nowMillis);
    }
    if (ready.isEmpty()
        && nowMillis - camera.lastJoinedAt >= RAW_AFTER_MS
        && frame.getSequence() > camera.lastSequence) {
      publish(camera, frame, null, nowMillis);
    }
  }

  /** Takes a detections event. */
  public void onDetections(Detections detections, long nowMillis) {
    JoinedFrame<Long> joined = joiner.offer(detections, 0L, nowMillis);
    if (joined != null) {
      onJoined(joined, nowMillis);
    }
  }

  /** Takes a masks event. */
  public void onMasks(Masks masks, long nowMillis) {
    JoinedFrame<Long> joined = joiner.offer(masks, 0L, nowMillis);
    if (joined != null) {
      onJoined(joined, nowMillis);
    }
  }

  /** Lets detections whose masks are late go without them, and forgets stale waits. */
  public void tick(long nowMillis) {
    for (JoinedFrame<Long> expired : joiner.expire(nowMillis)) {
      if (expired.detections() != null) {
        onJoined(expired, nowMillis);
      }
    }
    Iterator<Awaiting> it = awaitingFrame.values().iterator();
    while (it.hasNext()) {
      Awaiting a = it.next();
      if (nowMillis - a.since() < AWAIT_FRAME_MS && awaitingFrame.size() <= AWAIT_FRAME_CAPACITY) {
        break;
      }
      it.remove();
    }
  }

  /** Number of updates published so far. */
  public long published() {
    return published;
  }

  /** Cameras currently known. */
  public int cameraCount() {
    return cameras.size();
  }

  private CameraState camera(String id) {
    return cameras.computeIfAbsent(id, k -> new CameraState());
  }

  private void onJoined(JoinedFrame<Long> events, long nowMillis) {
    CameraState camera = camera(events.key().camera());
    for (Frame frame : camera.frames) {
      if (frame.getSequence() == events.key().sequence()) {
        publish(camera, frame, events, nowMillis);
        return;
      }
    }
    awaitingFrame.put(events.key(), new Awaiting(events, nowMillis));
  }

  private void publish(CameraState camera, Frame frame, JoinedFrame<Long> events, long nowMillis) {
    if (frame.getSequence() < camera.lastSequence) {
      return; // an older frame than the one on screen
    }
    camera.lastSequence = frame.getSequence();
    if (events != null) {
      camera.lastJoinedAt = nowMillis;
      camera.modelName = events.model().getName();
      camera.modelVersion = events.model().getVersion();
      camera.captureTimes.addLast(frame.getCaptureTime().toEpochMilli());
      while (camera.captureTimes.size() > FPS_WINDOW) {
        camera.captureTimes.removeFirst();
      }
      if (events.detections() != null) {
        long processed = events.detections().getTimings().getProcessedTime().toEpochMilli();
        if (processed > 0) {
          camera.latencyMs = (double) (processed - frame.getCaptureTime().toEpochMilli());
        }
      }
    }
    broadcaster.publish(frame.getCamera(), toJson(camera, frame, events));
    published++;
  }

  private static Double fps(CameraState camera) {
    if (camera.captureTimes.size() < 2) {
      return null;
    }
    long span = camera.captureTimes.getLast() - camera.captureTimes.getFirst();
    return span <= 0 ? null : (camera.captureTimes.size() - 1) * 1000.0 / span;
  }

  static String toJson(CameraState camera, Frame frame, JoinedFrame<Long> events) {
    StringWriter out = new StringWriter(frame.getImage().remaining() * 4 / 3 + 1024);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("camera", frame.getCamera());
      g.writeNumberField("sequence", frame.getSequence());
      g.writeNumberField("captureTime", frame.getCaptureTime().toEpochMilli());
      g.writeNumberField("width", frame.getWidth());
      g.writeNumberField("height", frame.getHeight());
      String mime = frame.getEncoding() == ImageEncoding.PNG ? "image/png" : "image/jpeg";
      ByteBuffer image = frame.getImage().duplicate();
      byte[] bytes = new byte[image.remaining()];
      image.get(bytes);
      g.writeStringField(
          "image", "data:" + mime + ";base64," + Base64.getEncoder().encodeToString(bytes));
      Double fps = fps(camera);
      if (fps != null) {
        g.writeNumberField("fps", Math.round(fps * 10) / 10.0);
      }
      if (camera.latencyMs != null) {
        g.writeNumberField("latencyMs", camera.latencyMs);
      }
      if (camera.modelVersion != null) {
        g.writeObjectFieldStart("model");
        g.writeStringField("name", camera.modelName);
        g.writeStringField("version", camera.modelVersion);
        g.writeEndObject();
      }
      g.writeBooleanField("detected", events != null);
      g.writeArrayFieldStart("detections");
      if (events != null && events.detections() != null) {
        Map<Integer, InstanceMask> masks = new HashMap<>();
        if (events.masks() != null) {
          for (InstanceMask m : events.masks().getMasks()) {
            masks.put(m.getDetectionIndex(), m);
          }
        }
        List<Detection> list = events.detections().getDetections();
        for (int i = 0; i < list.size(); i++) {
          Detection d = list.get(i);
          g.writeStartObject();
          g.writeStringField("label", d.getLabel());
          g.writeNumberField("classId", d.getClassId());
          g.writeNumberField("score", d.getScore());
          g.writeArrayFieldStart("box");
          g.writeNumber(d.getBox().getX1());
          g.writeNumber(d.getBox().getY1());
          g.writeNumber(d.getBox().getX2());
          g.writeNumber(d.getBox().getY2());
          g.writeEndArray();
          InstanceMask m = masks.get(i);
          if (m != null) {
            g.writeObjectFieldStart("mask");
            g.writeNumberField("h", m.getRle().getHeight());
            g.writeNumberField("w", m.getRle().getWidth());
            g.writeStringField("counts", m.getRle().getCounts());
            g.writeEndObject();
          }
          g.writeEndObject();
        }
      }
      g.writeEndArray();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }
}
