package io.maskstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.maskstream.ingest.IngestConfig.Camera;
import io.maskstream.ingest.IngestConfigLoader.Overrides;
import io.maskstream.ingest.source.SourceKind;
import io.maskstream.schemas.cli.UserException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IngestConfigLoaderTest {
  @TempDir Path dir;

  private Path yaml(String text) throws Exception {
    return Files.writeString(dir.resolve("cameras.yaml"), text);
  }

  @Test
  void cameraEntryBeatsCommandLineBeatsFileDefaults() throws Exception {
    Path file =
        yaml(
            """
            fps: 4
            maxWidth: 800
            jpegQuality: 70
            options: {probesize: "32"}
            cameras:
              - id: gate
                url: rtsp://10.0.0.7/stream1
                fps: 5
                options: {rtsp_transport: udp}
              - id: replay
                url: /data/parking.mp4
                loop: true
                readTimeoutSeconds: 2.5
            """);
    Map<String, String> cli = new LinkedHashMap<>();
    cli.put("lobby", "/dev/video0");
    List<Camera> cameras =
        IngestConfigLoader.cameras(
            cli, file, new Overrides(12.0, null, null, null, null, null, Map.of("a", "b")));
    assertThat(cameras).extracting(Camera::id).containsExactly("lobby", "gate", "replay");
    Camera lobby = cameras.get(0);
    assertThat(lobby.fps()).isEqualTo(12.0);
    assertThat(lobby.jpegQuality()).isEqualTo(IngestConfig.Defaults.JPEG_QUALITY);
    Camera gate = cameras.get(1);
    assertThat(gate.fps()).isEqualTo(5.0);
    assertThat(gate.maxWidth()).isEqualTo(800);
    assertThat(gate.jpegQuality()).isEqualTo(70);
    assertThat(gate.options())
        .containsEntry("rtsp_transport", "udp")
        .containsEntry("probesize", "32")
        .containsEntry("a", "b");
    Camera replay = cameras.get(2);
    assertThat(replay.fps()).isEqualTo(12.0);
    assertThat(replay.loop()).isTrue();
    assertThat(replay.readTimeout()).isEqualTo(Duration.ofMillis(2500));
  }

  @Test
  void protocolTimeoutsAreInMicrosecondsAndUserOptionsWin() {
    Duration timeout = Duration.ofSeconds(3);
    assertThat(SourceKind.of("udp://127.0.0.1:5000").ffmpegOptions(timeout, Map.of()))
        .containsEntry("timeout", "3000000");
    assertThat(SourceKind.of("http://127.0.0.1:8000/cam").ffmpegOptions(timeout, Map.of()))
        .containsEntry("rw_timeout", "3000000");
    assertThat(
            SourceKind.of("rtsp://cam/stream")
                .ffmpegOptions(timeout, Map.of("rtsp_transport", "udp")))
        .containsEntry("rtsp_transport", "udp")
        .containsEntry("timeout", "3000000");
    assertThat(SourceKind.of("/dev/video0")).isEqualTo(SourceKind.V4L2);
    assertThat(SourceKind.of("/dev/video0").inputFormat()).isEqualTo("video4linux2");
    assertThat(SourceKind.of(dir.toString())).isEqualTo(SourceKind.IMAGE_FOLDER);
    assertThat(SourceKind.of("clip.mp4")).isEqualTo(SourceKind.FILE);
    assertThat(SourceKind.of("tcp://127.0.0.1:9000")).isEqualTo(SourceKind.STREAM);
  }

  @Test
  void unknownKeyNamesTheLineAndTheKnownKeys() throws Exception {
    Path file = yaml("cameras:\n  - id: gate\n    url: x.mp4\n    fsp: 5\n");
    assertThatThrownBy(() -> IngestConfigLoader.cameras(Map.of(), file, Overrides.NONE))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("cameras[0]")
        .hasMessageContaining("unknown key 'fsp'")
        .hasMessageContaining("fps");
  }

  @Test
  void badValuesAreOneLineUserErrors() throws Exception {
    assertThatThrownBy(
            () -> IngestConfigLoader.cameras(Map.of(), dir.resolve("none.yaml"), Overrides.NONE))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("does not exist");
    assertThatThrownBy(() -> IngestConfigLoader.cameras(Map.of(), null, Overrides.NONE))
        .hasMessageContaining("no camera");
    Path dup = yaml("cameras:\n  - {id: a, url: x.mp4}\n  - {id: a, url: y.mp4}\n");
    assertThatThrownBy(() -> IngestConfigLoader.cameras(Map.of(), dup, Overrides.NONE))
        .hasMessageContaining("'a' is used twice");
    Path noUrl = yaml("cameras:\n  - {id: a}\n");
    assertThatThrownBy(() -> IngestConfigLoader.cameras(Map.of(), noUrl, Overrides.NONE))
        .hasMessageContaining("'url' is missing");
    Path badFps = yaml("cameras:\n  - {id: a, url: x.mp4, fps: -1}\n");
    assertThatThrownBy(() -> IngestConfigLoader.cameras(Map.of(), badFps, Overrides.NONE))
        .hasMessageContaining("camera 'a'")
        .hasMessageContaining("fps must be in (0, 1000]");
    Path notYaml = yaml("cameras: [unclosed\n");
    assertThatThrownBy(() -> IngestConfigLoader.cameras(Map.of(), notYaml, Overrides.NONE))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("not a valid cameras file");
    Path wrongType = yaml("fps: fast\ncameras: []\n");
    assertThatThrownBy(() -> IngestConfigLoader.cameras(Map.of(), wrongType, Overrides.NONE))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("cameras.yaml:1");
  }
}
