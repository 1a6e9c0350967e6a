package io.maskstream.ingest.cameras;

import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.schemas.avro.Camera;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class CameraCommandTest {
  private static Camera add(String... args) {
    CameraCommand.Add add = new CameraCommand.Add();
    new CommandLine(add).parseArgs(args);
    return add.settings.apply(add.camera, null);
  }

  private static Camera update(Camera stored, String... args) {
    CameraCommand.Update update = new CameraCommand.Update();
    new CommandLine(update).parseArgs(args);
    return update.settings.apply(update.camera, stored);
  }

  @Test
  void addTakesTheDefaultsOfACamerasYamlEntry() {
    Camera gate =
        add(
            "--camera",
            "gate",
            "--url",
            "rtsp://cam/s1",
            "--ffmpeg-option",
            "rtsp_transport=udp",
            "--label",
            "site=north");
    assertThat(gate.getFps()).isEqualTo(10.0);
    assertThat(gate.getJpegQuality()).isEqualTo(85);
    assertThat(gate.getReadTimeoutSeconds()).isEqualTo(5.0);
    assertThat(gate.getRealtime()).isTrue();
    assertThat(gate.getLoop()).isFalse();
    assertThat(gate.getEnabled()).isTrue();
    assertThat(gate.getOptions()).isEqualTo(Map.of("rtsp_transport", "udp"));
    assertThat(gate.getLabels()).isEqualTo(Map.of("site", "north"));
  }

  @Test
  void updateChangesOnlyWhatItIsGiven() {
    Camera stored =
        add(
            "--camera",
            "gate",
            "--url",
            "rtsp://cam/s1",
            "--ffmpeg-option",
            "rtsp_transport=udp",
            "--label",
            "site=north");
    Camera updated =
        update(
            stored,
            "--camera",
            "gate",
            "--fps",
            "2",
            "--ffmpeg-option",
            "rtsp_transport=",
            "--label",
            "floor=2",
            "--enabled",
            "false");
    assertThat(updated.getUrl()).isEqualTo("rtsp://cam/s1");
    assertThat(updated.getFps()).isEqualTo(2.0);
    assertThat(updated.getOptions()).isEmpty();
    assertThat(updated.getLabels()).isEqualTo(Map.of("site", "north", "floor", "2"));
    assertThat(updated.getEnabled()).isFalse();
    assertThat(updated.getUpdatedAt()).isAfterOrEqualTo(stored.getUpdatedAt());
  }
}
