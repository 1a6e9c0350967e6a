package io.maskstream.sinks.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.sinks.EventSamples;
import java.awt.Color;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LiveViewTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void joinsFramesWithTheirEventsInAnyOrder() throws Exception {
    Broadcaster out = new Broadcaster(16);
    LiveView view = new LiveView(8, Duration.ofSeconds(2), out);
    try (Broadcaster.Subscriber browser = out.subscribe()) {
      // events first, the frame later
      view.onDetections(EventSamples.detections("c", 1, "v1", 1, "cat"), 0);
      view.onMasks(EventSamples.masks("c", 1, "v1", 1), 0);
      assertThat(browser.take(0)).isEmpty();
      view.onFrame(EventSamples.frame("c", 1, 64, 48, Color.RED), 10);
      Map<String, String> updates = browser.take(0);
      JsonNode u = JSON.readTree(updates.get("c"));
      assertThat(u.get("sequence").asLong()).isEqualTo(1);
      assertThat(u.get("detected").asBoolean()).isTrue();
      assertThat(u.get("detections").get(0).get("label").asText()).isEqualTo("cat");
      assertThat(u.get("detections").get(0).get("mask").get("counts").asText())
          .isEqualTo(EventSamples.masks("c", 1, "v1", 1).getMasks().get(0).getRle().getCounts());
      assertThat(u.get("image").asText()).startsWith("data:image/jpeg;base64,");
      assertThat(u.get("latencyMs").asDouble()).isEqualTo(40);

      // frame first (shown raw right away only if no events for 2 s): here events are recent
      view.onFrame(EventSamples.frame("c", 2, 64, 48, Color.RED), 20);
      assertThat(browser.take(0)).isEmpty();
      view.onDetections(EventSamples.detections("c", 2, "v1", 0, "cat"), 30);
      // masks late: detections go alone after the wait
      view.tick(1000);
      assertThat(browser.take(0)).isEmpty();
      view.tick(2100);
      assertThat(JSON.readTree(browser.take(0).get("c")).get("sequence").asLong()).isEqualTo(2);
      // a frame with no events for 2 s is shown raw
      view.onFrame(EventSamples.frame("c", 3, 64, 48, Color.RED), 5000);
      JsonNode raw = JSON.readTree(browser.take(0).get("c"));
      assertThat(raw.get("detected").asBoolean()).isFalse();
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
      Map<String, String> pending = browser.take(0);
      assertThat(pending).hasSize(3);
      assertThat(JSON.readTree(pending.get("cam-0")).get("sequence").asLong()).isEqualTo(999);
    }
    // a browser connecting later starts with the latest frame of every camera
    try (Broadcaster.Subscriber late = out.subscribe()) {
      assertThat(late.take(0)).containsOnlyKeys("cam-0", "cam-1", "cam-2");
    }
    assertThat(out.subscribers()).isZero();
  }
}
