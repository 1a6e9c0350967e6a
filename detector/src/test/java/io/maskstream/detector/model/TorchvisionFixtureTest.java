package io.maskstream.detector.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.maskstream.detector.DetectorConfig;
import io.maskstream.detector.Fixtures;
import io.maskstream.detector.Segmentation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The ONNX export of a torchvision Mask R-CNN, run through the detector's decode, pre- and
 * post-processing, against torchvision's own eager outputs on the same images.
 */
class TorchvisionFixtureTest {
  /** torchvision's own box_score_thresh: the eager outputs hold every detection above it. */
  private static final float EAGER_SCORE_THRESHOLD = 0.05f;

  private static ModelSegmenter segmenter;

  @BeforeAll
  static void load() throws ModelLoadException {
    segmenter =
        ModelSegmenter.open(
            DetectorConfig.builder()
                .model(Fixtures.model())
                .device(Device.CPU)
                .intraOpThreads(2)
                .scoreThreshold(EAGER_SCORE_THRESHOLD)
                .build());
  }

  @AfterAll
  static void close() {
    segmenter.close();
  }

  @Test
  void recognisesTheTorchvisionContractAndTheClassNamesInTheMetadata() {
    OnnxMaskRcnn model = segmenter.currentModel();
    assertThat(model.contract()).isEqualTo(GraphContract.TORCHVISION);
    assertThat(model.classes().names())
        .containsExactly("__background__", "rectangle", "ellipse", "triangle");
    assertThat(model.identity().name()).isEqualTo("shapes-torchvision");
    assertThat(model.identity().version()).hasSize(12).isEqualTo(model.sha256().substring(0, 12));
  }

  @Test
  void reproducesTorchvisionEagerOutputs() throws Exception {
    EagerReference reference = new EagerReference();
    for (JsonNode image : Fixtures.json("torchvision-eager.json").get("images")) {
      byte[] png = Files.readAllBytes(Fixtures.path(image.get("file").asText()));
      reference.assertReproduces(image, segmenter.segment(png), EAGER_SCORE_THRESHOLD);
    }
    assertThat(reference.compared()).as("detections compared").isGreaterThanOrEqualTo(3);
  }

  @Test
  void anImageWithNoObjectsGivesNoConfidentDetections() throws Exception {
    byte[] png = Files.readAllBytes(Fixtures.path("image3.png"));
    Segmentation s = segmenter.segment(png);
    assertThat(s.instances()).allMatch(i -> i.score() < 0.5f);
  }

  @Test
  void cudaRequestedWithoutCudaRunsOnTheCpuWithOneLogLine() throws Exception {
    Logger logger = (Logger) LoggerFactory.getLogger(OnnxMaskRcnn.class);
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    logger.addAppender(appender);
    try (OnnxMaskRcnn model =
        OnnxMaskRcnn.load(
            DetectorConfig.builder().model(Fixtures.model()).device(Device.CUDA).build())) {
      assertThat(model.identity()).isEqualTo(segmenter.model());
    } finally {
      logger.detachAppender(appender);
    }
    List<String> lines =
        appender.list.stream()
            .filter(e -> e.getLevel().isGreaterOrEqual(Level.INFO))
            .map(ILoggingEvent::getFormattedMessage)
            .toList();
    if (lines.stream().anyMatch(l -> l.contains("inference on CUDA"))) {
      return; // a machine with a usable GPU
    }
    assertThat(lines).hasSize(1);
    assertThat(lines.get(0))
        .contains("CUDA requested but not usable")
        .contains("running on the CPU");
  }

  @Test
  void refusesFilesThatAreNotMaskRcnnModels(@TempDir Path dir) throws Exception {
    Path garbage = Files.write(dir.resolve("garbage.onnx"), new byte[] {1, 2, 3, 4});
    assertThatThrownBy(() -> OnnxMaskRcnn.load(DetectorConfig.builder().model(garbage).build()))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("not a usable ONNX model");
    byte[] full = Files.readAllBytes(Fixtures.model());
    Path truncated =
        Files.write(dir.resolve("truncated.onnx"), java.util.Arrays.copyOf(full, full.length / 2));
    assertThatThrownBy(() -> OnnxMaskRcnn.load(DetectorConfig.builder().model(truncated).build()))
        .isInstanceOf(ModelLoadException.class);
    assertThatThrownBy(
            () ->
                OnnxMaskRcnn.load(
                    DetectorConfig.builder()
                        .model(Fixtures.model())
                        .contract(GraphContract.ONNX_ZOO)
                        .build()))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("does not follow the onnx_zoo contract");
  }
}
