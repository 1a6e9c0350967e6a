package io.maskstream.sinks.web;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.maskstream.schemas.avro.Detection;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.Frame;
import io.maskstream.schemas.avro.ImageEncoding;
import io.maskstream.schemas.avro.InstanceMask;
import io.maskstream.schemas.avro.Keypoint;
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
 * Broadcaster}, with the camera's fps, how far its detections are behind, capture-to-event latency
 * and model.
 *
 * <p>A detector is nearly always behind its cameras (a model slower than the frame rate, a busy
 * machine), so while events come for a camera its tile shows the newest frame that has its events,
 * never a newer bare frame, and says how far behind that frame is ({@code lagMs}: the newest
 * frame's capture time minus the shown frame's, when its events came). Frames are shown bare only
 * when none has been shown with its events for the fallback time: three times the longer of the
 * detector's lag and its longest recent gap between shown frames (halving every {@value
 * #GAP_HALF_LIFE_MS} ms), at least {@value #FALLBACK_MIN_MS} ms and at most {@value
 * #FALLBACK_MAX_MS} ms; a bare update says why ({@code fallback}): no events yet, events stopped,
 * or events for frames no longer kept.
 *
 * <p>Each camera keeps its recent frames for events that come after them: twice the detector's
 * measured lag, at least {@value #KEEP_MIN_MS} ms, and never more than {@code framesPerCamera}
 * frames. Every buffer is bounded - recent frames per camera, events waiting for their frame,
 * number of cameras - so memory stays flat however long it runs. Masks go to the browser as COCO
 * compressed RLE strings, which it decodes itself: a few hundred bytes per mask instead of a PNG
 * per frame, and no image encoding on the server.
 *
 * <p>Not thread-safe: owned by the web sink's consumer thread.
 */
public final class LiveView {
  static final int MAX_CAMERAS = 256;

  /**
   * Shortest time without a frame shown with its events before frames are shown bare: longer than
   * the stalls of a detector on a busy machine.
   */
  static final long FALLBACK_MIN_MS = 10_000;

  /** Longest time without a frame shown with its events before frames are shown bare. */
  static final long FALLBACK_MAX_MS = 30_000;

  /** How fast a long gap between frames shown with events is forgotten. */
  static final long GAP_HALF_LIFE_MS = 30_000;

  /** Frames are kept at least this long for their events (as long as the buffer holds them). */
  static final long KEEP_MIN_MS = 3000;

  private static final long AWAIT_FRAME_MS = 3000;
  private static final int AWAIT_FRAME_CAPACITY = 1024;
  private static final int RATE_WINDOW = 30;
  private static final long NEVER = Long.MIN_VALUE;
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

  /** Why a frame goes to the page without events. */
  private enum Fallback {
    NO_EVENTS("no-events"),
    EVENTS_STOPPED("events-stopped"),
    FRAMES_NOT_KEPT("frames-not-kept");

    final String json;

    Fallback(String json) {
      this.json = json;
    }
  }

  /** Frames per second over the last {@value #RATE_WINDOW} capture times added. */
  private static final class Rate {
    final ArrayDeque<Long> times = new ArrayDeque<>();

    void add(long captureMillis) {
      times.addLast(captureMillis);
      if (times.size() > RATE_WINDOW) {
        times.removeFirst();
      }
    }

    Double fps() {
      long span = times.size() < 2 ? 0 : times.getLast() - times.getFirst();
      return span <= 0 ? null : Math.round((times.size() - 1) * 10_000.0 / span) / 10.0;
    }
  }

  private static final class CameraState {
    final ArrayDeque<Frame> frames = new ArrayDeque<>(); // oldest first
    final Rate frameRate = new Rate();
    final Rate detectedRate = new Rate();
    long shownSequence = Long.MIN_VALUE; // the frame on the page
    long detectedSequence = Long.MIN_VALUE; // the last frame shown with its events
    long detectedAt = NEVER; // when it was shown
    long gapMs; // longest recent gap between frames shown with events, halving every half-life
    long eventsAt = NEVER; // when the last events came, shown or not
    long lagMs; // newest frame's capture time minus that of the last events' frame
    Double latencyMs;
    String modelName;
    String modelVersion;

    long newestCapture() {
      return frames.isEmpty() ? Long.MIN_VALUE : frames.getLast().getCaptureTime().toEpochMilli();
    }

    Frame frame(long sequence) {
      for (Frame f : frames) {
        if (f.getSequence() == sequence) {
          return f;
        }
      }
      return null;
    }

    long fallbackMs() {
      return Math.min(FALLBACK_MAX_MS, Math.max(FALLBACK_MIN_MS, 3 * Math.max(gapMs, lagMs)));
    }

    /** Null while frames are shown with their events, else why a frame goes bare. */
    Fallback fallback(long nowMillis) {
      if (detectedAt != NEVER && nowMillis - detectedAt < fallbackMs()) {
        return null;
      }
      if (eventsAt == NEVER) {
        return Fallback.NO_EVENTS;
      }
      return nowMillis - eventsAt < fallbackMs()
          ? Fallback.FRAMES_NOT_KEPT
          : Fallback.EVENTS_STOPPED;
    }

    void keep(Frame frame, int maxFrames) {
      frames.addLast(frame);
      frameRate.add(frame.getCaptureTime().toEpochMilli());
      long keepMs = Math.max(KEEP_MIN_MS, 2 * lagMs);
      while (frames.size() > maxFrames
          || newestCapture() - frames.getFirst().getCaptureTime().toEpochMilli() > keepMs) {
        frames.removeFirst();
      }
    }

    void eventsCame(JoinedFrame<Long> events, long nowMillis) {
      eventsAt = nowMillis;
      modelName = events.model().getName();
      modelVersion = events.model().getVersion();
      long captured = events.frame().getCaptureTime().toEpochMilli();
      lagMs = frames.isEmpty() ? 0 : Math.max(0, newestCapture() - captured);
      if (events.detections() != null) {
        long processed = events.detections().getTimings().getProcessedTime().toEpochMilli();
        if (processed > 0) {
          latencyMs = (double) (processed - captured);
        }
      }
    }

    void shownWithEvents(Frame frame, long nowMillis) {
      if (detectedAt != NEVER) {
        long gap = nowMillis - detectedAt;
        gapMs = Math.max(gap, (long) (gapMs * Math.pow(0.5, (double) gap / GAP_HALF_LIFE_MS)));
      }
      detectedAt = nowMillis;
      detectedSequence = frame.getSequence();
      detectedRate.add(frame.getCaptureTime().toEpochMilli());
    }
  }

  /**
   * A view keeping at most {@code framesPerCamera} recent frames per camera, publishing to {@code
   * out}.
   */
  public LiveView(int framesPerCamera, Duration maskWait, Broadcaster out) {
    this.framesPerCamera = framesPerCamera;
    this.broadcaster = out;
    this.joiner = new EventJoiner<>(maskWait, 4096);
  }

  /**
   * Takes a frame; publishes it with its events when they were waiting for it, or bare when the
   * camera's frames fall back to bare.
   */
  public void onFrame(Frame frame, long nowMillis) {
    CameraState camera = camera(frame.getCamera());
    camera.keep(frame, framesPerCamera);
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
      showWithEvents(camera, frame, events, nowMillis);
    }
    Fallback fallback = camera.fallback(nowMillis);
    if (fallback != null && frame.getSequence() > camera.shownSequence) {
      publish(camera, frame, null, fallback, nowMillis);
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
    camera.eventsCame(events, nowMillis);
    long sequence = events.key().sequence();
    Frame frame = camera.frame(sequence);
    if (frame != null) {
      showWithEvents(camera, frame, events, nowMillis);
    } else if (camera.frames.isEmpty() || sequence > camera.frames.getLast().getSequence()) {
      awaitingFrame.put(events.key(), new Awaiting(events, nowMillis));
    }
    // else its frame is no longer kept: the bare frames' fallback says so
  }

  private void showWithEvents(
      CameraState camera, Frame frame, JoinedFrame<Long> events, long nowMillis) {
    if (frame.getSequence() <= camera.detectedSequence) {
      return; // a newer frame was shown with its events already
    }
    camera.shownWithEvents(frame, nowMillis);
    publish(camera, frame, events, null, nowMillis);
  }

  private void publish(
      CameraState camera,
      Frame frame,
      JoinedFrame<Long> events,
      Fallback fallback,
      long nowMillis) {
    camera.shownSequence = frame.getSequence();
    broadcaster.publish(frame.getCamera(), toJson(camera, frame, events, fallback, nowMillis));
    published++;
  }

  private static String toJson(
      CameraState camera,
      Frame frame,
      JoinedFrame<Long> events,
      Fallback fallback,
      long nowMillis) {
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
      writeNumber(g, "fps", camera.frameRate.fps());
      writeNumber(g, "detectedFps", camera.detectedRate.fps());
      writeNumber(g, "latencyMs", camera.latencyMs);
      if (camera.eventsAt != NEVER) {
        g.writeNumberField("lagMs", camera.lagMs);
        g.writeNumberField("eventsAgoMs", nowMillis - camera.eventsAt);
      }
      if (camera.modelVersion != null) {
        g.writeObjectFieldStart("model");
        g.writeStringField("name", camera.modelName);
        g.writeStringField("version", camera.modelVersion);
        g.writeEndObject();
      }
      g.writeBooleanField("detected", events != null);
      if (fallback != null) {
        g.writeStringField("fallback", fallback.json);
      }
      List<List<Integer>> skeleton = List.of();
      g.writeArrayFieldStart("detections");
      if (events != null && events.detections() != null) {
        Map<Integer, InstanceMask> masks = new HashMap<>();
        if (events.masks() != null) {
          for (InstanceMask m : events.masks().getMasks()) {
            masks.put(m.getDetectionIndex(), m);
          }
        }
        List<Detection> list = events.detections().getDetections();
        skeleton = events.detections().getSkeleton();
        for (int i = 0; i < list.size(); i++) {
          Detection d = list.get(i);
          g.writeStartObject();
          g.writeStringField("label", d.getLabel());
          g.writeNumberField("classId", d.getClassId());
          if (d.getTrackId() != null) {
            g.writeNumberField("trackId", d.getTrackId());
          }
          g.writeNumberField("score", d.getScore());
          g.writeArrayFieldStart("box");
          g.writeNumber(d.getBox().getX1());
          g.writeNumber(d.getBox().getY1());
          g.writeNumber(d.getBox().getX2());
          g.writeNumber(d.getBox().getY2());
          g.writeEndArray();
          if (d.getKeypoints() != null) {
            // x, y, score of each keypoint, flat
            g.writeArrayFieldStart("keypoints");
            for (Keypoint k : d.getKeypoints()) {
              g.writeNumber(k.getX());
              g.writeNumber(k.getY());
              g.writeNumber(k.getScore());
            }
            g.writeEndArray();
          }
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
      if (!skeleton.isEmpty()) {
        g.writeArrayFieldStart("skeleton");
        for (List<Integer> edge : skeleton) {
          g.writeArray(edge.stream().mapToInt(Integer::intValue).toArray(), 0, edge.size());
        }
        g.writeEndArray();
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  private static void writeNumber(JsonGenerator g, String field, Double value) throws IOException {
    if (value != null) {
      g.writeNumberField(field, value);
    }
  }
}
