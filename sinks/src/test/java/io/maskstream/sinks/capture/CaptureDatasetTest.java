package io.maskstream.sinks.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.maskstream.schemas.cli.UserException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CaptureDatasetTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static CaptureDataset.Entry entry(String camera, long sequence, long hash, int classId) {
    ObjectNode rle = JsonNodeFactory.instance.objectNode();
    rle.putArray("size").add(4).add(6);
    rle.put("counts", "04L4");
    return new CaptureDataset.Entry(
        camera,
        sequence,
        Instant.parse("2026-12-02T10:00:00Z"),
        6,
        4,
        "jpg",
        new byte[] {1, 2, 3, (byte) sequence},
        "shapes@abc",
        List.of(Reason.UNSURE, Reason.FLICKER),
        hash,
        List.of(
            new CaptureDataset.Prediction(
                classId, "label" + classId, 0.4567f, new double[] {1, 0, 2, 4}, 8, rle)));
  }

  @Test
  void writesACocoInstancesFileAndTheImageBytesAsTheyAre(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("set");
    CaptureDataset dataset = CaptureDataset.open(out);
    long id = dataset.add(entry("gate", 7, 0xabcL, 3));
    assertThat(id).isEqualTo(1);
    assertThat(Files.exists(out.resolve("annotations.json"))).as("only after save").isFalse();
    dataset.save();
    assertThat(Files.readAllBytes(out.resolve("images/gate-7.jpg"))).containsExactly(1, 2, 3, 7);
    assertThat(Files.exists(out.resolve("annotations.json.tmp"))).isFalse();
    JsonNode root = JSON.readTree(out.resolve("annotations.json").toFile());
    JsonNode image = root.get("images").get(0);
    assertThat(image.get("file_name").asText()).isEqualTo("gate-7.jpg");
    assertThat(image.get("width").asInt()).isEqualTo(6);
    assertThat(image.get("camera").asText()).isEqualTo("gate");
    assertThat(image.get("dhash").asText()).isEqualTo("0000000000000abc");
    assertThat(image.get("reasons").toString()).isEqualTo("[\"unsure\",\"flicker\"]");
    JsonNode ann = root.get("annotations").get(0);
    assertThat(ann.toString())
        .isEqualTo(
            "{\"id\":1,\"image_id\":1,\"category_id\":3,\"bbox\":[1.0,0.0,2.0,4.0],\"area\":8.0,"
                + "\"iscrowd\":0,\"segmentation\":{\"size\":[4,6],\"counts\":\"04L4\"},"
                + "\"score\":0.4567}");
    assertThat(root.get("categories").toString())
        .isEqualTo("[{\"id\":3,\"name\":\"label3\",\"supercategory\":\"\"}]");
  }

  @Test
  void aSecondRunContinuesTheDatasetWithNewIdsAndKnowsWhatIsThere(@TempDir Path dir)
      throws Exception {
    CaptureDataset first = CaptureDataset.open(dir);
    first.add(entry("gate", 1, 0x1L, 1));
    first.add(entry("yard", 1, 0x2L, 2));
    first.save();

    Files.writeString(dir.resolve("annotations.json.tmp"), "{\"half\": "); // a crash's leftover
    CaptureDataset second = CaptureDataset.open(dir);
    assertThat(second.imagesAtStart()).isEqualTo(2);
    assertThat(second.contains("gate-1.jpg")).isTrue();
    assertThat(second.contains("gate-2.jpg")).isFalse();
    assertThat(second.hashes("gate")).containsExactly(0x1L);
    assertThat(second.hashes("yard")).containsExactly(0x2L);
    assertThat(second.add(entry("gate", 2, 0x3L, 1))).isEqualTo(3);
    second.save();

    JsonNode root = JSON.readTree(dir.resolve("annotations.json").toFile());
    assertThat(root.get("images"))
        .extracting(n -> n.get("id").asLong())
        .containsExactly(1L, 2L, 3L);
    assertThat(root.get("annotations"))
        .extracting(n -> n.get("id").asLong())
        .containsExactly(1L, 2L, 3L);
    assertThat(root.get("categories")).extracting(n -> n.get("id").asInt()).containsExactly(1, 2);
    assertThat(root.get("info").get("description").asText()).contains("maskstream capture");
  }

  @Test
  void foreignCocoFilesAreContinuedToo(@TempDir Path dir) throws Exception {
    Files.writeString(
        dir.resolve("annotations.json"),
        "{\"images\":[{\"id\":41,\"file_name\":\"x.png\",\"width\":6,\"height\":4}],"
            + "\"annotations\":[{\"id\":90,\"image_id\":41,\"category_id\":1}],"
            + "\"categories\":[{\"id\":1,\"name\":\"label1\"}],\"licenses\":[]}");
    CaptureDataset dataset = CaptureDataset.open(dir);
    assertThat(dataset.add(entry("gate", 5, 0, 1))).isEqualTo(42);
    dataset.save();
    JsonNode root = JSON.readTree(dir.resolve("annotations.json").toFile());
    assertThat(root.get("annotations").get(1).get("id").asLong()).isEqualTo(91);
    assertThat(root.get("categories")).hasSize(1);
    assertThat(root.has("licenses")).as("what was there stays").isTrue();
  }

  @Test
  void refusesAFolderWithANonCocoFileAndAnUnwritableOne(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("annotations.json"), "[1, 2, 3]");
    assertThatThrownBy(() -> CaptureDataset.open(dir))
        .isInstanceOf(UserException.class)
        .hasMessage(
            dir.resolve("annotations.json")
                + " is not a COCO instances file (no \"images\" list): give another --out folder"
                + " to capture into");
    Files.writeString(dir.resolve("annotations.json"), "{\"images\": [");
    assertThatThrownBy(() -> CaptureDataset.open(dir))
        .isInstanceOf(UserException.class)
        .hasMessageStartingWith(dir.resolve("annotations.json") + " is not JSON (");
    Path file = Files.writeString(dir.resolve("a-file"), "x");
    assertThatThrownBy(() -> CaptureDataset.open(file))
        .isInstanceOf(UserException.class)
        .hasMessage("--out " + file + " is a file: give a folder");
    assertThatThrownBy(() -> CaptureDataset.open(file.resolve("below")))
        .isInstanceOf(UserException.class)
        .hasMessageStartingWith("cannot write to --out " + file.resolve("below"))
        .hasMessageEndingWith("give a writable folder");
  }
}
