package io.maskstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.maskstream.schemas.cli.UserException;
import io.maskstream.trainer.data.CocoDataset;
import io.maskstream.trainer.data.Sample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShapesCommandTest {
  @TempDir Path tmp;

  @Test
  void writesAClipWithGroundTruthPerFrame() throws Exception {
    Path out = tmp.resolve("clip");
    String printed =
        Cli.run(new ShapesCommand(), "--out", out.toString(), "--video", "12", "--seed", "3");
    assertThat(printed).contains("12 frames");
    CocoDataset ds = CocoDataset.load(out, false);
    assertThat(ds.samples())
        .extracting(Sample::imageId)
        .containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L);
    assertThat(ds.samples().get(0).instances()).isNotEmpty();
    // the shapes move: the first and last frames' masks differ
    assertThat(ds.samples().get(11).instances().get(0).mask())
        .isNotEqualTo(ds.samples().get(0).instances().get(0).mask());
    int frames = 0;
    try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(out.resolve("clip.mp4").toFile())) {
      grabber.start();
      assertThat(grabber.getImageWidth()).isEqualTo(320);
      assertThat(grabber.getImageHeight()).isEqualTo(240);
      Frame frame;
      while ((frame = grabber.grabImage()) != null) {
        assertThat(frame.imageWidth).isEqualTo(320);
        frames++;
      }
      grabber.stop();
    }
    assertThat(frames).isEqualTo(12);
    // the same boxes with track ids, MOTChallenge format, frames from 1
    List<String> gt = Files.readAllLines(out.resolve("gt.txt"));
    int boxes = ds.samples().stream().mapToInt(s -> s.instances().size()).sum();
    assertThat(gt).hasSize(boxes);
    assertThat(gt.get(0)).startsWith("1,1,").endsWith(",1,-1,-1,-1");
    assertThat(printed).contains("gt.txt");
  }

  @Test
  void writesADataset() throws Exception {
    Path out = tmp.resolve("ds");
    Cli.run(new ShapesCommand(), "--out", out.toString(), "--n", "3", "--seed", "1");
    assertThat(CocoDataset.load(out, false).samples()).hasSize(3);
  }

  @Test
  void badOptionsAreUserErrors() throws Exception {
    assertThatThrownBy(() -> Cli.run(new ShapesCommand(), "--out", tmp.resolve("x").toString()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--n N");
    assertThatThrownBy(
            () -> Cli.run(new ShapesCommand(), "--out", tmp.resolve("x").toString(), "--n", "0"))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("between 1 and");
    Files.writeString(tmp.resolve("keep.txt"), "x");
    assertThatThrownBy(() -> Cli.run(new ShapesCommand(), "--out", tmp.toString(), "--n", "2"))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("not an empty folder");
  }
}
