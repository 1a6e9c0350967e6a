package io.maskstream.sinks.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.sinks.EventSamples;
import java.awt.Color;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LiveViewTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The frame updates of {@code updates} by camera. */
  static Map<String, String> frames(List<Broadcaster.Update> updates) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Broadcaster.Update u : updates) {
      if (u.kind().equals(Broadcaster.FRAME)) {
        out.put(u.camera(), u.json());
      }
    }
    return out;
  }

  @Test
  void joinsFramesWithTheirEventsInAnyOrder() throws Exception {
    Broadcaster out = new Broadcaster(16);
    LiveView view = new LiveView(8, Duration.ofSeconds(2), out);
    try (Broadcaster.Subscriber browser = out.subscribe()) {
      // events first, the frame later
      Detections tracked = EventSamples.tracked(EventSamples.detections("c", 1, "v1", 1, "cat"), 7);
      view.onDetections(tracked, 0);
      view.onMasks(EventSamples.masks("c", 1, "v1", 1), 0);
      assertThat(frames(browser.take(0))).isEmpty();
      view.onFrame(EventSamples.frame("c", 1, 64, 48, Color.RED), 10);
      Map<String, String> updates = frames(browser.take(0));
      JsonNode u = JSON.readTree(updates.get("c"));
      assertThat(u.get("sequence").asLong()).isEqualTo(1);
      assertThat(u.get("detected").asBoolean()).isTrue();
      assertThat(u.get("detections").get(0).get("trackId").asLong()).isEqualTo(7);
      assertThat(u.get("detections").get(0).get("label").asText()).isEqualTo("cat");
      assertThat(u.get("detections").get(0).get("mask").get("counts").asText())
          .isEqualTo(EventSamples.masks("c", 1, "v1", 1).getMasks().get(0).getRle().getCounts());
      assertThat(u.get("image").asText()).startsWith("data:image/jpeg;base64,");
      assertThat(u.get("latencyMs").asDouble()).isEqualTo(40);

      // frame first: not shown bare, events came just now
      view.onFrame(EventSamples.frame("c", 2, 64, 48, Color.RED), 20);
      assertThat(frames(browser.take(0))).isEmpty();
      view.onDetections(EventSamples.detections("c", 2, "v1", 0, "cat"), 30);
      // masks late: detections go alone after the wait
      view.tick(1000);
      assertThat(frames(browser.take(0))).isEmpty();
      view.tick(2100);
      assertThat(JSON.readTree(frames(browser.take(0)).get("c")).get("sequence").asLong())
          .isEqualTo(2);
      // frames are shown bare once none was shown with its events for the fallback time
      view.onFrame(
          EventSamples.frame("c", 3, 64, 48, Color.RED), 2100 + LiveView.FALLBACK_MIN_MS - 1);
      assertThat(frames(browser.take(0))).isEmpty();
      view.onFrame(EventSamples.frame("c", 4, 64, 48, Color.RED), 2100 + LiveView.FALLBACK_MIN_MS);
      JsonNode raw = JSON.readTree(frames(browser.take(0)).get("c"));
      assertThat(raw.get("sequence").asLong()).isEqualTo(4);
      assertThat(raw.get("detected").asBoolean()).isFalse();
      assertThat(raw.get("fallback").asText()).isEqualTo("events-stopped");
      assertThat(raw.get("eventsAgoMs").asLong()).isEqualTo(LiveView.FALLBACK_MIN_MS);
      assertThat(raw.get("model").get("version").asText()).isEqualTo("v1");
    }
  }

  @Test
  void aSlowBrowserGetsTheLatestUpdatePerCameraNotAQueue() throws Exception {
    Broadcaster out = new Broadcaster(16);
    LiveView view = new LiveView(4, Duration.ofSeconds(2), out);
    try (Broadcaster.Subscriber browser = out.subscribe()) {
      for (int i = 0; i < 1000; i++) {
        view.onFrame(EventSamples.frame("cam-" + (i % 3), i, 32, 24, Color.GRAY), 10_000L * i);
      }
      Map<String, String> pending = frames(browser.take(0));
      assertThat(pending).hasSize(3);
      assertThat(JSON.readTree(pending.get("cam-0")).get("sequence").asLong()).isEqualTo(999);
    }
    // a browser connecting later starts with the latest frame of every camera
    try (Broadcaster.Subscriber late = out.subscribe()) {
      assertThat(frames(late.take(0))).containsOnlyKeys("cam-0", "cam-1", "cam-2");
    }
    assertThat(out.subscribers()).isZero();
  }

  /** A camera at 15 fps whose detector sends each k-th frame's events {@code lag} frames late. */
  private static final class LaggingCamera {
    static final long FRAME_MS = 66;
    final List<JsonNode> updates = new ArrayList<>();
    final LiveView view;
    final Broadcaster.Subscriber browser;
    long sequence;

    LaggingCamera(LiveView view, Broadcaster out) {
      this.view = view;
      this.browser = out.subscribe();
    }

    /** The wall clock: any epoch, frames are captured every {@link #FRAME_MS}. */
    long now() {
      return 1_000_000 + sequence * FRAME_MS;
    }

    /** Runs {@code frames} frames; events of frame s arrive with frame s + lag, if s % k == 0. */
    void run(int frames, int lag, int k, boolean events) throws Exception {
      for (int i = 0; i < frames; i++, sequence++) {
        long now = now();
        view.onFrame(EventSamples.frame("c", sequence, 64, 48, Color.RED), now);
        long s = sequence - lag;
        if (events && s >= 0 && s % k == 0) {
          view.onDetections(EventSamples.detections("c", s, "v1", 1, "cat"), now);
          view.onMasks(EventSamples.masks("c", s, "v1", 1), now);
        }
        view.tick(now);
        Map<String, String> got = frames(browser.take(0));
        if (got.containsKey("c")) {
          updates.add(JSON.readTree(got.get("c")));
        }
      }
    }

    List<JsonNode> since(int from) {
      return updates.subList(from, updates.size());
    }
  }

  private static long detected(List<JsonNode> updates) {
    return updates.stream().filter(u -> u.get("detected").asBoolean()).count();
  }

  @ParameterizedTest(name = "{0} frames behind, events for every {1}th frame")
  @CsvSource({"1, 1", "5, 1", "30, 1", "30, 10", "75, 30"})
  void showsTheNewestFrameWithItsEventsWhileTheDetectorLags(int lag, int k) throws Exception {
    Broadcaster out = new Broadcaster(16);
    LiveView view = new LiveView(150, Duration.ofSeconds(2), out);
    LaggingCamera camera = new LaggingCamera(view, out);
    // warm up: long enough for the buffer to follow the lag
    camera.run(lag + 300, lag, k, true);
    int from = camera.updates.size();
    camera.run(300, lag, k, true);
    List<JsonNode> steady = camera.since(from);
    assertThat(steady).isNotEmpty();
    assertThat(detected(steady)).as("updates with detections").isEqualTo(steady.size());
    for (JsonNode u : steady) {
      assertThat(u.get("sequence").asLong() % k).isZero();
      assertThat(u.get("detections").get(0).get("mask")).isNotNull();
      assertThat(u.get("lagMs").asLong()).isEqualTo(lag * LaggingCamera.FRAME_MS);
      assertThat(u.get("fps").asDouble()).isCloseTo(15.2, within(0.1));
      assertThat(u.get("model").get("version").asText()).isEqualTo("v1");
    }
    // every frame with events is shown: none is skipped for a newer bare frame
    assertThat(steady).hasSize(300 / k);
  }

  @Test
  void fallsBackToBareFramesOnlyOnceEventsStopForAWhile() throws Exception {
    Broadcaster out = new Broadcaster(16);
    LiveView view = new LiveView(150, Duration.ofSeconds(2), out);
    LaggingCamera camera = new LaggingCamera(view, out);
    camera.run(300, 15, 1, true); // 1 s behind
    long lastEvents = camera.sequence - 1; // the frame with which the last events came
    int from = camera.updates.size();
    camera.run(450, 15, 1, false); // the detector stops: 30 s of frames without events
    List<JsonNode> bare = camera.since(from);
    assertThat(detected(bare)).isZero();
    assertThat(bare).isNotEmpty();
    long firstBare = bare.get(0).get("sequence").asLong();
    assertThat((firstBare - lastEvents) * LaggingCamera.FRAME_MS)
        .as("bare frames start after the fallback")
        .isBetween(LiveView.FALLBACK_MIN_MS, LiveView.FALLBACK_MIN_MS + 2 * LaggingCamera.FRAME_MS);
    assertThat(bare.get(0).get("fallback").asText()).isEqualTo("events-stopped");
    assertThat(bare.get(bare.size() - 1).get("eventsAgoMs").asLong()).isGreaterThan(29_000);
    assertThat(bare.get(0).get("model").get("version").asText()).isEqualTo("v1");
    // then every frame is shown bare
    assertThat(bare.size()).isGreaterThan(250);

    // the detector comes back: the first frame with events is shown at once
    int back = camera.updates.size();
    camera.run(20, 15, 1, true);
    List<JsonNode> resumed = camera.since(back);
    assertThat(resumed).hasSize(20);
    assertThat(detected(resumed)).isEqualTo(20);
    assertThat(resumed.get(0).get("sequence").asLong()).isEqualTo(750 - 15);
  }

  @Test
  void aDetectorThatStalledOnceIsWaitedForLongerNextTime() throws Exception {
    Broadcaster out = new Broadcaster(16);
    LiveView view = new LiveView(150, Duration.ofSeconds(2), out);
    LaggingCamera camera = new LaggingCamera(view, out);
    camera.run(150, 30, 1, true); // 2 s behind
    int first = camera.updates.size();
    camera.run(180, 30, 1, false); // stalls for 12 s: longer than the fallback
    assertThat(detected(camera.since(first)))
        .as("bare frames in the first stall")
        .isLessThan(camera.since(first).size());
    camera.run(150, 30, 1, true); // 10 s going
    int second = camera.updates.size();
    camera.run(180, 30, 1, false); // stalls again
    camera.run(60, 30, 1, true);
    List<JsonNode> after = camera.since(second);
    assertThat(detected(after)).as("no bare frame in the second stall").isEqualTo(after.size());
  }

  @Test
  void aSlowDetectorsSparseEventsDoNotFlickerToBareFrames() throws Exception {
    Broadcaster out = new Broadcaster(16);
    LiveView view = new LiveView(300, Duration.ofSeconds(2), out);
    LaggingCamera camera = new LaggingCamera(view, out);
    // a model taking 10 s per frame: every 150th frame has events, 7 s after its capture
    camera.run(105 + 3 * 150, 105, 150, true);
    int from = camera.updates.size();
    camera.run(600, 105, 150, true);
    List<JsonNode> steady = camera.since(from);
    assertThat(steady).hasSize(4);
    assertThat(detected(steady)).isEqualTo(4);
    assertThat(steady.get(0).get("lagMs").asLong()).isEqualTo(105 * LaggingCamera.FRAME_MS);
  }

  @Test
  void eventsWhoseFramesAreNoLongerKeptAreSaidSo() throws Exception {
    Broadcaster out = new Broadcaster(16);
    LiveView view = new LiveView(20, Duration.ofSeconds(2), out); // 1.3 s at 15 fps
    LaggingCamera camera = new LaggingCamera(view, out);
    camera.run(400, 45, 1, true); // 3 s behind
    List<JsonNode> all = camera.updates;
    assertThat(detected(all)).isZero();
    JsonNode last = all.get(all.size() - 1);
    assertThat(last.get("fallback").asText()).isEqualTo("frames-not-kept");
    assertThat(last.get("lagMs").asLong()).isEqualTo(45 * LaggingCamera.FRAME_MS);
    assertThat(last.get("sequence").asLong()).isEqualTo(399);
  }
}
