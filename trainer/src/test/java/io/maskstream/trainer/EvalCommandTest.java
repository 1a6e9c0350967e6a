package io.maskstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.schemas.cli.UserException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalCommandTest {
  static Path resource(String name) throws Exception {
    return Path.of(EvalCommandTest.class.getResource("/coco/" + name).toURI());
  }

  static String run(String... args) {
    return Cli.run(new EvalCommand(), args);
  }

  @Test
  void printsPycocotoolsSummaryForBoxesThenMasks() throws Exception {
    Path dir = resource("crowd");
    String out = run("--data", dir.toString(), "--results", dir.resolve("results.json").toString());
    JsonNode expected = new ObjectMapper().readTree(dir.resolve("expected.json").toFile());
    List<String> want = new ArrayList<>();
    for (String type : List.of("bbox", "segm")) {
      want.add("Evaluate annotation type *" + type + "*");
      expected.get("results.json").get(type + "_lines").forEach(l -> want.add(l.asText()));
    }
    assertThat(out.lines()).containsExactlyElementsOf(want);
  }

  @Test
  void keypointResultsGiveKeypointApAsPycocotoolsWithTheSigmasGiven() throws Exception {
    for (String name : List.of("person", "shapes")) {
      Path dir = resource("keypoints/" + name);
      List<String> args =
          new ArrayList<>(
              List.of(
                  "--data", dir.toString(), "--results", dir.resolve("results.json").toString()));
      if (name.equals("shapes")) {
        args.addAll(List.of("--keypoint-sigmas", "0.05,0.05,0.05,0.05"));
      }
      List<String> out = run(args.toArray(String[]::new)).lines().toList();
      JsonNode expected = new ObjectMapper().readTree(dir.resolve("expected.json").toFile());
      List<String> want = new ArrayList<>();
      want.add("Evaluate annotation type *keypoints*");
      expected.get("keypoints_lines").forEach(l -> want.add(l.asText()));
      assertThat(out.subList(out.size() - 11, out.size())).containsExactlyElementsOf(want);
    }
  }

  @Test
  void boxOnlyResultsSkipMaskAp(@TempDir Path tmp) throws Exception {
    Path results = tmp.resolve("boxes.json");
    Files.writeString(
        results,
        "[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [31,102,101,88], \"score\": 0.9}]");
    String out = run("--data", resource("eval").toString(), "--results", results.toString());
    assertThat(out.lines()).hasSize(14).first().isEqualTo("Evaluate annotation type *bbox*");
    assertThat(out).contains("mask AP not evaluated");
  }

  @Test
  void badInputIsAOneLineUserError(@TempDir Path tmp) throws Exception {
    Path eval = resource("eval");
    assertThatThrownBy(() -> run("--data", tmp.toString(), "--results", "r.json"))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("no annotations.json in");
    Path unknownImage = tmp.resolve("unknown.json");
    Files.writeString(
        unknownImage,
        "[{\"image_id\": 99, \"category_id\": 1, \"bbox\": [1,1,2,2], \"score\": 1}]");
    assertThatThrownBy(() -> run("--data", eval.toString(), "--results", unknownImage.toString()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("image id 99, which the ground truth does not have");
    Path notJson = tmp.resolve("bad.json");
    Files.writeString(notJson, "[{\"image_id\": 1,");
    assertThatThrownBy(() -> run("--data", eval.toString(), "--results", notJson.toString()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("is not valid JSON");
  }
}
