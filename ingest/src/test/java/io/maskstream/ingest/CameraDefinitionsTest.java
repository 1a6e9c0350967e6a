package io.maskstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.maskstream.ingest.cameras.CameraDefinitions;
import io.maskstream.schemas.avro.Camera;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CameraDefinitionsTest {
  private static final IngestConfig.Camera GATE =
      new IngestConfig.Camera(
          "gate",
          "rtsp://viewer:${env:GATE_PW}@10.0.0.7/s1",
          5,
          1280,
          80,
          false,
          true,
          Duration.ofMillis(3500),
          Map.of("rtsp_transport", "udp"));

  @Test
  void aDefinitionMeansWhatTheYamlEntryMeans() {
    Camera stored =
        CameraDefinitions.toDefinition(GATE, true, Map.of("site", "north"), Instant.EPOCH);
    assertThat(CameraDefinitions.toIngest(stored)).isEqualTo(GATE);
    Camera defaults =
        Camera.newBuilder()
            .setId("lobby")
            .setUrl("/dev/video0")
            .setUpdatedAt(Instant.EPOCH)
            .build();
    assertThat(CameraDefinitions.toIngest(defaults))
        .isEqualTo(
            new IngestConfig.Camera(
                "lobby",
                "/dev/video0",
                IngestConfig.Defaults.FPS,
                IngestConfig.Defaults.MAX_WIDTH,
                IngestConfig.Defaults.JPEG_QUALITY,
                false,
                true,
                IngestConfig.Defaults.READ_TIMEOUT,
                Map.of()));
    assertThat(defaults.getEnabled()).isTrue();
  }

  @Test
  void badDefinitionsAreRefusedWithOneLine() {
    Camera good = CameraDefinitions.toDefinition(GATE, true, Map.of(), Instant.EPOCH);
    assertThatThrownBy(() -> CameraDefinitions.toIngest(Camera.newBuilder(good).setFps(0).build()))
        .hasMessage("camera gate: fps must be in (0, 1000], got 0.0");
    assertThatThrownBy(
            () -> CameraDefinitions.toIngest(Camera.newBuilder(good).setId("a b").build()))
        .hasMessageStartingWith("camera id 'a b' breaks the id rule: use 1-64 characters");
    assertThatThrownBy(
            () ->
                CameraDefinitions.toIngest(
                    Camera.newBuilder(good).setUrl("rtsp://u:pw@[x/s").build()))
        .hasMessageStartingWith("camera gate: url 'rtsp://u:***@[x/s' is not a valid URL");
    assertThatThrownBy(
            () ->
                CameraDefinitions.toIngest(
                    Camera.newBuilder(good).setReadTimeoutSeconds(0).build()))
        .hasMessageContaining("readTimeoutSeconds must be in (0, 3600]");
  }

  @Test
  void environmentReferencesAreResolvedOnTheIngestHost() {
    IngestConfig.Camera resolved =
        CameraDefinitions.resolveSecrets(GATE, name -> name.equals("GATE_PW") ? "s3cret" : null);
    assertThat(resolved.url()).isEqualTo("rtsp://viewer:s3cret@10.0.0.7/s1");
    assertThatThrownBy(() -> CameraDefinitions.resolveSecrets(GATE, name -> null))
        .hasMessage(
            "camera gate: its url refers to ${env:GATE_PW}, which is not set on this host: set it"
                + " in ingest's environment");
  }
}
