package io.maskstream.trainer.export;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.trainer.engine.Safetensors;
import io.maskstream.trainer.engine.Torch;
import io.maskstream.trainer.export.ExportFixtures.Found;
import io.maskstream.trainer.export.ExportFixtures.Image;
import io.maskstream.trainer.model.Backbone;
import io.maskstream.trainer.model.InputTransform;
import io.maskstream.trainer.model.MaskRcnn;
import io.maskstream.trainer.model.Norm;
import io.maskstream.trainer.model.ResNetBody;
import io.maskstream.trainer.model.RoiHeads;
import io.maskstream.trainer.train.Checkpoint;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A state dict as {@code torch.save(model.state_dict())} writes it, made by torchvision (random
 * initialisation from a fixed seed, {@code make_pth_fixtures.py}), read as {@code train --init}
 * reads it, exported and run in ONNX Runtime: the detections torchvision computed with the same
 * weights on the same image, within the tolerances of {@link OnnxExporterTest}.
 */
class PthExportTest {
  private static final Logger log = LoggerFactory.getLogger(PthExportTest.class);

  @TempDir Path dir;

  @BeforeAll
  static void load() {
    Torch.load();
  }

  /** The layout make_pth_fixtures.py builds: the tiny preset's, narrower. */
  static MaskRcnn small() {
    SplittableRandom random = new SplittableRandom(3);
    return new MaskRcnn(
        random,
        new Backbone(
            random,
            new ResNetBody(
                random,
                8,
                new long[] {8, 16, 32, 64},
                new int[] {1, 1, 1, 1},
                ResNetBody.Block.BASIC,
                Norm.BATCH),
            16),
        4,
        32,
        new long[] {16, 16},
        new RoiHeads.Options(128, 0.25, 0.05, 0.5, 10),
        new InputTransform(64, 64));
  }

  @Test
  void aTorchvisionStateDictExportsToWhatTorchvisionDetects() throws Exception {
    JsonNode expected;
    try (InputStream in = PthExportTest.class.getResourceAsStream("/pth/small.json")) {
      expected = new ObjectMapper().readTree(in);
    }
    Path pth = copy("small.pth");
    try (Safetensors.Contents weights = Checkpoint.readInit(pth);
        MaskRcnn model = small()) {
      List<String> keys = new ArrayList<>();
      expected.get("keys").forEach(k -> keys.add(k.asText()));
      assertThat(weights.tensors().keySet())
          .as("names, in the file's order")
          .containsExactlyElementsOf(keys);
      Tensor numBatches = weights.tensors().get("backbone.body.bn1.num_batches_tracked");
      assertThat(Torch.toLongs(numBatches)).containsExactly(0L);
      model.loadStateDict(weights.tensors(), true);
      byte[] onnx =
          OnnxExporter.toBytes(
              model, new ExportInfo("small", "small", List.of("__background__", "a", "b", "c")));
      try (OrtSession session = ExportFixtures.session(onnx)) {
        long[] shape = ExportFixtures.longs(expected.get("image").get("shape"));
        Image image =
            new Image(ExportFixtures.packed(expected.get("image")), (int) shape[1], (int) shape[2]);
        Found torchvision =
            new Found(
                ExportFixtures.packed(expected.get("boxes")),
                ExportFixtures.longs(expected.get("labels")),
                ExportFixtures.packed(expected.get("scores")),
                ExportFixtures.packed(expected.get("masks")),
                image.height(),
                image.width());
        assertThat(torchvision.count()).as("torchvision's detections").isEqualTo(10);
        Found found = ExportFixtures.run(session, image);
        log.info(
            "small.pth export vs torchvision: {}",
            OnnxExporterTest.assertSameDetections(torchvision, found));
      }
    }
  }

  @Test
  void theFormatFromBeforePyTorch16GivesTheSameTensors() throws Exception {
    try (Safetensors.Contents zip = Checkpoint.readInit(copy("small.pth"));
        Safetensors.Contents legacy = Checkpoint.readInit(copy("legacy.pth"))) {
      assertThat(legacy.tensors().keySet())
          .hasSize(15)
          .contains(
              "backbone.body.bn1.num_batches_tracked",
              "rpn.head.conv.0.0.weight",
              "roi_heads.mask_predictor.mask_fcn_logits.bias");
      for (var e : legacy.tensors().entrySet()) {
        Tensor same = zip.tensors().get(e.getKey());
        assertThat(e.getValue().shape()).as(e.getKey()).containsExactly(same.shape());
        if (e.getKey().endsWith("num_batches_tracked")) {
          assertThat(Torch.toLongs(e.getValue())).isEqualTo(Torch.toLongs(same));
        } else {
          assertThat(Torch.toFloats(e.getValue())).as(e.getKey()).isEqualTo(Torch.toFloats(same));
        }
      }
    }
  }

  private Path copy(String name) throws IOException {
    Path file = dir.resolve(name);
    try (InputStream in = PthExportTest.class.getResourceAsStream("/pth/" + name)) {
      Files.copy(in, file);
    }
    return file;
  }
}
