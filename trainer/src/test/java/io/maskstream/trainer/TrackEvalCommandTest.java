package io.maskstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.schemas.cli.UserException;
import io.maskstream.trainer.eval.mot.MotFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrackEvalCommandTest {
  static Path resource(String name) throws Exception {
    return Path.of(TrackEvalCommandTest.class.getResource("/mot/" + name).toURI());
  }

  static String run(String... args) {
    return Cli.run(new TrackEvalCommand(), args);
  }

  @Test
  void printsTrackEvalsSummaryOfOneSequence() throws Exception {
    Path dir = resource("crossing_swap");
    String out =
        run(
            "--gt",
            dir.resolve("gt.txt").toString(),
            "--results",
            dir.resolve("results.txt").toString());
    List<String> lines = out.lines().toList();
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0).split("\\s+"))
        .containsExactly(
            "Sequence",
            "HOTA",
            "DetA",
            "AssA",
            "LocA",
            "MOTA",
            "MOTP",
            "IDF1",
            "IDP",
            "IDR",
            "IDSW",
            "Frag",
            "MT",
            "PT",
            "ML",
            "FP",
            "FN");
    JsonNode summary =
        new ObjectMapper()
            .readTree(resource("expected.json").toFile())
            .get("cases")
            .get("crossing_swap")
            .get("summary");
    String[] cells = lines.get(1).split("\\s+");
    assertThat(cells[0]).isEqualTo("crossing_swap"); // gt.txt is named after its folder
    assertThat(cells[1]).isEqualTo(summary.get("HOTA").asText());
    assertThat(cells[5]).isEqualTo(summary.get("MOTA").asText());
    assertThat(cells[7]).isEqualTo(summary.get("IDF1").asText());
    assertThat(cells[10]).isEqualTo("2"); // the two swapped ids
  }

  @Test
  void aFolderOfSequencesGivesARowEachAndTheCombinedRow() throws Exception {
    Path multi = resource("multi");
    String out =
        run(
            "--gt",
            multi.resolve("gt").toString(),
            "--results",
            multi.resolve("results").toString());
    assertThat(out.lines().map(l -> l.split("\\s+")[0]))
        .containsExactly("Sequence", "cam-a", "cam-b", "cam-c", "COMBINED", "note:");
    assertThat(out).contains("have 0 in column 7");
  }

  @Test
  void aShapesClipFolderIsAGroundTruth(@TempDir Path tmp) throws Exception {
    Path clip = tmp.resolve("clip");
    Files.createDirectories(clip);
    Files.copy(resource("perfect/gt.txt"), clip.resolve("gt.txt"));
    String out =
        run("--gt", clip.toString(), "--results", resource("perfect/results.txt").toString());
    assertThat(out.lines().skip(1).findFirst().orElseThrow())
        .startsWith("clip")
        .contains("100       100       100       100       100");
  }

  @Test
  void preprocessingOfMotChallengeGroundTruth() throws Exception {
    Path dir = resource("preprocess");
    String gt = dir.resolve("gt.txt").toString();
    String res = dir.resolve("results.txt").toString();
    JsonNode want =
        new ObjectMapper().readTree(resource("expected.json").toFile()).get("preprocess");
    for (String mode : List.of("mot17", "MOT20")) {
      String[] cells =
          run("--gt", gt, "--results", res, "--preprocess", mode)
              .lines()
              .toList()
              .get(1)
              .split("\\s+");
      JsonNode summary = want.get(mode.toUpperCase(java.util.Locale.ROOT)).get("summary");
      assertThat(cells[1]).isEqualTo(summary.get("HOTA").asText());
      assertThat(cells[5]).isEqualTo(summary.get("MOTA").asText());
      assertThat(cells[15]).isEqualTo(summary.get("CLR_FP").asText());
    }
    assertThat(run("--gt", gt, "--results", res)).contains("note: ");
    assertThatThrownBy(() -> run("--gt", gt, "--results", res, "--preprocess", "mot99"))
        .isInstanceOf(UserException.class)
        .hasMessage("unknown --preprocess 'mot99': use none, mot17 or mot20");
  }

  @Test
  void badInputIsAOneLineUserError(@TempDir Path tmp) throws Exception {
    Path gt = resource("perfect/gt.txt");
    assertThatThrownBy(() -> run("--gt", tmp.resolve("none").toString(), "--results", "r.txt"))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("does not exist");
    assertThatThrownBy(
            () -> run("--gt", gt.toString(), "--results", tmp.resolve("r.txt").toString()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("results file")
        .hasMessageContaining("does not exist");
    Path bad = tmp.resolve("bad.txt");
    Files.writeString(bad, "1,1,10,10,40,80,1\n2,x,10,10,40,80,1\n");
    assertThatThrownBy(() -> run("--gt", gt.toString(), "--results", bad.toString()))
        .isInstanceOf(MotFormatException.class)
        .hasMessage(bad + ":2: id (column 2) is not a number: 'x'");
    assertThatThrownBy(() -> run("--gt", tmp.toString(), "--results", bad.toString()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("holds no ground truth");
    assertThatThrownBy(
            () -> run("--gt", resource("multi/gt").toString(), "--results", bad.toString()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--results must be a folder with SEQ.txt");
  }
}
