package io.maskstream.trainer.eval.mot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every figure TrackEval computed on the committed cases (mot/expected.json, made by
 * make_mot_fixtures.py), reproduced to the last bit; and the file format's errors.
 */
class MotMetricsTest {
  static Path root;
  static JsonNode expected;

  @BeforeAll
  static void load() throws Exception {
    root = Path.of(MotMetricsTest.class.getResource("/mot").toURI());
    expected = new ObjectMapper().readTree(root.resolve("expected.json").toFile());
  }

  @Test
  void thresholdsAreTrackEvalsAlphas() {
    double[] alphas = MotMetrics.alphas();
    assertThat(alphas).hasSize(expected.get("alphas").size());
    for (int i = 0; i < alphas.length; i++) {
      assertThat(alphas[i]).isEqualTo(expected.get("alphas").get(i).asDouble());
    }
  }

  @Test
  void everyCaseReproducesTrackEvalExactly() {
    List<String> names = new ArrayList<>();
    Iterator<Map.Entry<String, JsonNode>> it = expected.get("cases").fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      Path dir = root.resolve(e.getKey());
      MotMetrics got =
          MotEvaluator.evaluate(
              MotFile.read(dir.resolve("gt.txt")), MotFile.read(dir.resolve("results.txt")));
      assertSame(e.getKey(), got, e.getValue());
      names.add(e.getKey());
    }
    assertThat(names)
        .contains(
            "perfect",
            "id_switch",
            "crossing_swap",
            "fragmentation",
            "false_positives",
            "misses",
            "split_merge",
            "empty_frames",
            "no_output",
            "no_ground_truth",
            "ties",
            "random_3");
  }

  @Test
  void severalSequencesCombineAsTrackEval() {
    Path multi = root.resolve("multi");
    List<MotSequence> sequences =
        MotSequences.resolve(multi.resolve("gt"), multi.resolve("results"));
    assertThat(sequences).extracting(MotSequence::name).containsExactly("cam-a", "cam-b", "cam-c");
    assertThat(sequences.get(0).frames()).isEqualTo(20); // from its seqinfo.ini
    MotReport report = MotEvaluator.evaluate(sequences);
    JsonNode want = expected.get("multi");
    for (MotReport.Row row : report.sequences()) {
      assertSame(row.name(), row.metrics(), want.get(row.name()));
    }
    assertSame("COMBINED", report.combined(), want.get("COMBINED"));
    // TrackEval shows a sequence without ground truth with MOTA 0, but counts its false
    // positives in the combined MOTA
    assertThat(report.sequences().get(2).metrics().mota()).isZero();
    assertThat(report.notes()).singleElement().asString().contains("have 0 in column 7");
  }

  @Test
  void motChallengePreprocessingAsTrackEval() {
    Path dir = root.resolve("preprocess");
    MotSequence seq =
        new MotSequence(
            "seq",
            MotFile.read(dir.resolve("gt.txt")),
            MotFile.read(dir.resolve("results.txt")),
            0);
    for (MotPreprocess mode : List.of(MotPreprocess.MOT17, MotPreprocess.MOT20)) {
      MotReport report = MotEvaluator.evaluate(List.of(seq), mode);
      assertSame(mode.name(), report.combined(), expected.get("preprocess").get(mode.name()));
      assertThat(report.notes()).isEmpty();
    }
    // without preprocessing every line counts, and the zero flags are pointed out
    MotReport plain = MotEvaluator.evaluate(List.of(seq));
    assertThat(plain.combined().fn()).isGreaterThan(30);
    assertThat(plain.notes()).singleElement().asString().contains("10 ground-truth boxes");
  }

  @Test
  void preprocessingNeedsMotChallengeClasses() {
    MotFile results = MotFile.parse("r.txt", "1,1,0,0,10,10\n");
    MotFile noClass = MotFile.parse("gt.txt", "1,1,0,0,10,10,1,1,1\n1,2,0,0,10,10,1,-1,-1,-1\n");
    assertThatThrownBy(
            () ->
                MotEvaluator.evaluate(
                    List.of(new MotSequence("s", noClass, results, 0)), MotPreprocess.MOT17))
        .isInstanceOf(MotFormatException.class)
        .hasMessage("gt.txt:2: class (column 8) must be a MOTChallenge class 1..13, got -1");
    MotFile short6 = MotFile.parse("gt.txt", "1,1,0,0,10,10\n");
    assertThatThrownBy(
            () ->
                MotEvaluator.evaluate(
                    List.of(new MotSequence("s", short6, results, 0)), MotPreprocess.MOT20))
        .isInstanceOf(MotFormatException.class)
        .hasMessageStartingWith("gt.txt:1: MOTChallenge preprocessing needs the flag and class");
  }

  @Test
  void theTableFormatsFiguresAsTrackEvalPrintsThem() {
    Iterator<Map.Entry<String, JsonNode>> it = expected.get("cases").fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      Path dir = root.resolve(e.getKey());
      MotMetrics got =
          MotEvaluator.evaluate(
              MotFile.read(dir.resolve("gt.txt")), MotFile.read(dir.resolve("results.txt")));
      JsonNode summary = e.getValue().get("summary");
      Map<String, String> cells = MotTable.cells(got);
      cells.forEach(
          (column, text) ->
              assertThat(text)
                  .as("%s %s", e.getKey(), column)
                  .isEqualTo(summary.get(TRACKEVAL_NAMES.getOrDefault(column, column)).asText()));
    }
  }

  static final Map<String, String> TRACKEVAL_NAMES = Map.of("FP", "CLR_FP", "FN", "CLR_FN");

  @Test
  void pythonGeneralFormatOfFiveDigits() {
    assertThat(MotTable.general(100 * 0.6095787829243243)).isEqualTo("60.958");
    assertThat(MotTable.general(100.0)).isEqualTo("100");
    assertThat(MotTable.general(0.0)).isEqualTo("0");
    assertThat(MotTable.general(-1100.0)).isEqualTo("-1100");
    assertThat(MotTable.general(-123456.0)).isEqualTo("-1.2346e+05");
    assertThat(MotTable.general(0.000012345)).isEqualTo("1.2345e-05");
    assertThat(MotTable.general(0.00012345)).isEqualTo("0.00012345");
    assertThat(MotTable.general(12.5)).isEqualTo("12.5");
    assertThat(MotTable.general(99.999996)).isEqualTo("100");
  }

  static void assertSame(String name, MotMetrics got, JsonNode want) {
    Map<String, Double> figures =
        Map.ofEntries(
            Map.entry("HOTA", got.hota()),
            Map.entry("DetA", got.detA()),
            Map.entry("AssA", got.assA()),
            Map.entry("LocA", got.locA()),
            Map.entry("DetRe", got.detRe()),
            Map.entry("DetPr", got.detPr()),
            Map.entry("AssRe", got.assRe()),
            Map.entry("AssPr", got.assPr()),
            Map.entry("MOTA", got.mota()),
            Map.entry("MOTP", got.motp()),
            Map.entry("MODA", got.moda()),
            Map.entry("IDF1", got.idf1()),
            Map.entry("IDP", got.idp()),
            Map.entry("IDR", got.idr()));
    figures.forEach((k, v) -> assertThat(v).as("%s %s", name, k).isEqualTo(want.get(k).asDouble()));
    Map<String, Long> counts =
        Map.ofEntries(
            Map.entry("CLR_TP", got.tp()),
            Map.entry("CLR_FN", got.fn()),
            Map.entry("CLR_FP", got.fp()),
            Map.entry("IDSW", got.idsw()),
            Map.entry("MT", got.mt()),
            Map.entry("PT", got.pt()),
            Map.entry("ML", got.ml()),
            Map.entry("Frag", got.frag()),
            Map.entry("IDTP", got.idtp()),
            Map.entry("IDFN", got.idfn()),
            Map.entry("IDFP", got.idfp()));
    counts.forEach((k, v) -> assertThat(v).as("%s %s", name, k).isEqualTo(want.get(k).asLong()));
    Map<String, double[]> perAlpha =
        Map.of(
            "HOTA_alpha", got.hotaPerAlpha(),
            "DetA_alpha", got.detAPerAlpha(),
            "AssA_alpha", got.assAPerAlpha(),
            "LocA_alpha", got.locAPerAlpha());
    perAlpha.forEach(
        (k, v) -> {
          for (int i = 0; i < v.length; i++) {
            assertThat(v[i]).as("%s %s[%d]", name, k, i).isEqualTo(want.get(k).get(i).asDouble());
          }
        });
  }

  @Test
  void badLinesAreOneLineErrorsNamingFileAndLine() {
    assertError("1,1,10,10,5\n", "t.txt:1: expected at least 6 comma-separated values");
    assertError(
        "1,1,1,1,1,1\n\n0,2,1,1,1,1\n", "t.txt:3: frame must be a whole number from 1, got 0");
    assertError("1.5,2,1,1,1,1\n", "t.txt:1: frame must be a whole number from 1, got 1.5");
    assertError("1,-1,1,1,1,1,0.9\n", "t.txt:1: id must be a whole number from 0, got -1");
    assertError("1,a,1,1,1,1\n", "t.txt:1: id (column 2) is not a number: 'a'");
    assertError("1,2,1,1,,1\n", "t.txt:1: width (column 5) is empty");
    assertError("1,2,1,1,1,1,1,-1,x,-1\n", "t.txt:1: column 9 is not a number: 'x'");
    assertError("1,2,1,1,1,nan\n", "t.txt:1: height (column 6) is not a number: 'nan'");
    assertError("1,2,1,1,-3,4\n", "t.txt:1: width and height must not be negative");
    assertError("1,2,1,1,1e999,4\n", "t.txt:1: width (column 5) is too large");
    assertError(
        "1,2,1,1,1,1\n2,2,1,1,1,1\n2,2,5,5,1,1\n",
        "t.txt:3: id 2 appears twice in frame 2 (also on line 2)");
    assertError("1 2 1 1 1 1\n", "t.txt:1: expected at least 6 comma-separated values");
  }

  @Test
  void lenientWhereTrackEvalIs() {
    MotFile f =
        MotFile.parse(
            "t.txt", "\uFEFF1, 2, 10.5, 20, 30, 40, 0.9, -1, -1, -1,\r\n\n3.0,7,1,1,1,1\n");
    assertThat(f.boxes()).hasSize(2);
    assertThat(f.boxes().get(0).left()).isEqualTo(10.5);
    assertThat(f.boxes().get(1).frame()).isEqualTo(3);
    assertThat(f.boxes().get(1).line()).isEqualTo(3);
    assertThat(f.lastFrame()).isEqualTo(3);
    assertThat(MotFile.parse("e.txt", "").boxes()).isEmpty();
  }

  @Test
  void framesBeyondTheSequenceLengthAreRefused() {
    MotFile gt = MotFile.parse("gt.txt", "1,1,0,0,1,1\n");
    MotFile results = MotFile.parse("r.txt", "1,1,0,0,1,1\n6,1,0,0,1,1\n");
    assertThatThrownBy(() -> new MotSequence("s", gt, results, 5))
        .isInstanceOf(MotFormatException.class)
        .hasMessage(
            "r.txt:2: frame 6 is beyond the sequence's 5 frames (seqLength of its seqinfo.ini)");
    assertThat(new MotSequence("s", gt, results, 0).frames()).isEqualTo(6);
  }

  private static void assertError(String text, String message) {
    assertThatThrownBy(() -> MotFile.parse("t.txt", text))
        .isInstanceOf(MotFormatException.class)
        .hasMessageStartingWith(message)
        .extracting(Throwable::getMessage)
        .asString()
        .doesNotContain("\n");
  }
}
