package io.maskstream.detector.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import io.maskstream.detector.Fixtures;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

class PasteFreeGraphTest {
  @Test
  void aTorchvisionExportLosesItsPasteLoopAndReturnsTheSmallMasks() throws Exception {
    byte[] bytes = Files.readAllBytes(Fixtures.model());
    PasteFreeGraph.Cut cut = PasteFreeGraph.cut(bytes);
    assertThat(cut).isNotNull();
    ModelProto before = ModelProto.parseFrom(bytes);
    ModelProto after = ModelProto.parseFrom(cut.model());
    assertThat(before.getGraph().getNodeList()).extracting(NodeProto::getOpType).contains("Loop");
    assertThat(after.getGraph().getNodeList())
        .extracting(NodeProto::getOpType)
        .doesNotContain("Loop");
    assertThat(after.getGraph().getOutputList())
        .extracting(v -> v.getName())
        .containsExactly("boxes", "labels", "scores", cut.smallMasks());
    // the small masks are what the paste's Pad reads: the mask head's output for the detections
    NodeProto pad =
        before.getGraph().getNodeList().stream()
            .filter(n -> n.getOpType().equals("Pad") && n.getInput(0).equals(cut.smallMasks()))
            .findFirst()
            .orElseThrow();
    assertThat(pad.getOutput(0)).isNotEmpty();
    assertThat(after.getGraph().getNodeCount()).isLessThan(before.getGraph().getNodeCount());
  }

  @Test
  void graphsThatDoNotPasteInALoopAreLeftAsTheyAre() throws Exception {
    assertThat(PasteFreeGraph.cut(Files.readAllBytes(Fixtures.path("shapes-zoo.onnx")))).isNull();
    assertThat(PasteFreeGraph.cut(new byte[] {1, 2, 3, 4})).isNull();
    assertThat(PasteFreeGraph.cut(new byte[0])).isNull();
  }
}
