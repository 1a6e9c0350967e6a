package io.maskstream.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.schemas.cli.UserException;
import io.maskstream.schemas.rle.CocoRle;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CocoDatasetTest {
  @TempDir Path dir;

  final List<Map<String, Object>> images = new ArrayList<>();
  final List<Map<String, Object>> annotations = new ArrayList<>();
  final List<Map<String, Object>> categories =
      new ArrayList<>(
          List.of(
              Map.of("id", 7, "name", "square"),
              Map.of("id", 3, "name", "circle"),
              Map.of("id", 100, "name", "triangle")));

  void image(long id, String fileName, int w, int h, boolean write) throws IOException {
    images.add(Map.of("id", id, "file_name", fileName, "width", w, "height", h));
    if (write) {
      Path path =
          fileName.contains("/") ? dir.resolve(fileName) : dir.resolve("images/" + fileName);
      Files.createDirectories(path.getParent());
      ImageIO.write(new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB), "png", path.toFile());
    }
  }

  Map<String, Object> annotation(long id, long imageId, long categoryId, Object segmentation) {
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("id", id);
    a.put("image_id", imageId);
    a.put("category_id", categoryId);
    a.put("segmentation", segmentation);
    a.put("iscrowd", 0);
    annotations.add(a);
    return a;
  }

  void write() throws IOException {
    new ObjectMapper()
        .writeValue(
            dir.resolve("annotations.json").toFile(),
            Map.of("images", images, "annotations", annotations, "categories", categories));
  }

  void validDataset() throws IOException {
    image(1, "a.png", 20, 10, true);
    image(2, "frames/b.jpg", 8, 12, true); // as file_name says, another size
    image(3, "empty.png", 5, 5, true);
    // polygon: the square (2,2)-(6,5) covers pixel centres x 2..5, y 2..4: 12 pixels
    annotation(10, 1, 7, List.of(List.of(2, 2, 6, 2, 6, 5, 2, 5)));
    // compressed RLE of a 1-pixel mask at (x=1, y=0) in 12x8
    byte[] m = new byte[12 * 8];
    m[1] = 1;
    annotation(
        11,
        2,
        100,
        Map.of(
            "size",
            List.of(12, 8),
            "counts",
            CocoRle.encodeRowMajor(m, 12, 8).toCompressedString()));
    // uncompressed RLE, crowd: column-major 0s then 12 ones (the first column) of a 12x8 image
    Map<String, Object> crowd =
        annotation(12, 2, 3, Map.of("size", List.of(12, 8), "counts", List.of(0, 12, 84)));
    crowd.put("iscrowd", 1);
  }

  @Test
  void loadsPolygonsRleCrowdAndContiguousLabels() throws IOException {
    validDataset();
    write();
    CocoDataset ds = CocoDataset.load(dir, false);
    assertThat(ds.categories())
        .containsExactly(
            new DatasetCategory(1, 3, "circle"),
            new DatasetCategory(2, 7, "square"),
            new DatasetCategory(3, 100, "triangle"));
    assertThat(ds.samples()).hasSize(3);
    Sample a = ds.samples().get(0);
    assertThat(a.file()).isEqualTo(dir.resolve("images/a.png"));
    assertThat(a.width()).isEqualTo(20);
    Instance square = a.instances().get(0);
    assertThat(square.label()).isEqualTo(2);
    assertThat(square.mask().area()).isEqualTo(12);
    assertThat(square.box()).containsExactly(2, 2, 6, 5); // from the mask: no bbox given
    Sample b = ds.samples().get(1);
    assertThat(b.file()).isEqualTo(dir.resolve("frames/b.jpg"));
    assertThat(b.height()).isEqualTo(12);
    assertThat(b.instances()).extracting(Instance::label).containsExactly(3, 1);
    assertThat(b.instances().get(0).mask().decodeRowMajor()[1]).isEqualTo((byte) 1);
    assertThat(b.instances().get(1).crowd()).isTrue();
    assertThat(b.instances().get(1).mask().area()).isEqualTo(12);
    assertThat(ds.samples().get(2).instances()).isEmpty();
    assertThat(b.readRgb().getWidth()).isEqualTo(8);
  }

  @Test
  void badAnnotationsNameImageAndAnnotationOrAreSkippedWithSkipBad() throws IOException {
    validDataset();
    annotation(20, 1, 42, List.of(List.of(1, 1, 4, 1, 4, 4))); // unknown category
    annotation(21, 1, 7, List.of(List.of(1, 1, 4, 1))); // degenerate polygon
    annotations.add(Map.of("id", 22, "image_id", 1, "segmentation", List.of())); // no category
    annotation(23, 9, 7, List.of(List.of(1, 1, 4, 1, 4, 4))); // unknown image
    annotation(24, 1, 7, List.of(List.of(30, 30, 40, 30, 40, 40))); // outside: empty mask
    annotation(25, 1, 7, Map.of("size", List.of(3, 3), "counts", List.of(9))); // wrong size
    write();
    assertThatThrownBy(() -> CocoDataset.load(dir, false))
        .isInstanceOf(UserException.class)
        .hasMessage(
            "annotations.json: annotation id 20 (image id 1), file a.png: unknown category id 42"
                + " (not in \"categories\"); fix it, or pass --skip-bad to leave bad annotations out");
    CocoDataset ds = CocoDataset.load(dir, true);
    assertThat(ds.skippedAnnotations()).isEqualTo(6);
    assertThat(ds.samples().get(0).instances())
        .extracting(Instance::annotationId)
        .containsExactly(10L);

    for (int i = 0; i < 5; i++) {
      annotations.remove(annotations.size() - 1);
    }
    annotations.set(annotations.size() - 1, annotations.get(0));
    annotation(21, 1, 7, List.of(List.of(1, 1, 4, 1)));
    write();
    assertThatThrownBy(() -> CocoDataset.load(dir, false))
        .hasMessageContaining("annotation id 21 (image id 1), file a.png: degenerate polygon 0")
        .hasMessageContaining("at least 3 points");
  }

  @Test
  void unreadableOrMissingImagesAreErrorsOrSkipped() throws IOException {
    validDataset();
    image(4, "broken.png", 4, 4, false);
    Files.writeString(dir.resolve("images/broken.png"), "not a png");
    image(5, "missing.png", 4, 4, false);
    image(6, "wrong-size.png", 4, 4, false);
    ImageIO.write(
        new BufferedImage(3, 4, BufferedImage.TYPE_INT_RGB),
        "png",
        dir.resolve("images/wrong-size.png").toFile());
    annotation(30, 4, 7, List.of(List.of(1, 1, 3, 1, 3, 3)));
    write();
    assertThatThrownBy(() -> CocoDataset.load(dir, false))
        .isInstanceOf(UserException.class)
        .hasMessageStartingWith("annotations.json: image id 4 (broken.png): unreadable image");
    CocoDataset ds = CocoDataset.load(dir, true);
    assertThat(ds.skippedImages()).isEqualTo(3);
    assertThat(ds.skippedAnnotations()).isZero();
    assertThat(ds.samples()).extracting(Sample::imageId).containsExactly(1L, 2L, 3L);
  }

  @Test
  void aFolderWithoutAnnotationsIsAUserError() {
    assertThatThrownBy(() -> CocoDataset.load(dir, false))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("no annotations.json in");
  }
}
