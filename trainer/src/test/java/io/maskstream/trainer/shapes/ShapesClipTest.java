package io.maskstream.trainer.shapes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.trainer.eval.mot.MotEvaluator;
import io.maskstream.trainer.eval.mot.MotFile;
import io.maskstream.trainer.eval.mot.MotMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Clips: ground-truth track ids, and the motion a tracker must cope with. */
class ShapesClipTest {
  static final ShapesGenerator GENERATOR = new ShapesGenerator(ShapesConfig.defaults());
  static final int FRAMES = 120;
  static final int W = ShapesConfig.defaults().videoWidth();
  static final int H = ShapesConfig.defaults().videoHeight();
  @TempDir static Path tmp;
  static Path clip;
  static Map<Integer, List<MotFile.Box>> tracks;

  @BeforeAll
  static void generate() throws IOException {
    clip = tmp.resolve("clip");
    GENERATOR.writeClip(clip, FRAMES, 3);
    tracks = byTrack(MotFile.read(clip.resolve("gt.txt")));
  }

  @Test
  void gtTxtHoldsTheAnnotationsBoxesWithTheirTrackIds() throws IOException {
    JsonNode coco = new ObjectMapper().readTree(clip.resolve("annotations.json").toFile());
    Set<String> fromCoco = new HashSet<>();
    for (JsonNode a : coco.get("annotations")) {
      JsonNode b = a.get("bbox");
      fromCoco.add(
          (a.get("image_id").asInt() + 1)
              + ","
              + a.get("track_id").asInt()
              + ","
              + b.get(0).asInt()
              + ","
              + b.get(1).asInt()
              + ","
              + b.get(2).asInt()
              + ","
              + b.get(3).asInt()
              + ",1,-1,-1,-1");
    }
    List<String> lines = Files.readAllLines(clip.resolve("gt.txt"));
    assertThat(lines).hasSize(coco.get("annotations").size());
    assertThat(new HashSet<>(lines)).isEqualTo(fromCoco);
    // track ids from 1 in order of first appearance
    List<Integer> firstSeen = new ArrayList<>();
    for (String line : lines) {
      int id = Integer.parseInt(line.split(",")[1]);
      if (!firstSeen.contains(id)) {
        firstSeen.add(id);
      }
    }
    assertThat(firstSeen).isSorted().startsWith(1);
  }

  @Test
  void objectsEnterAndLeaveTheFrame() {
    long entering =
        tracks.values().stream()
            .filter(t -> t.get(0).frame() > 1 && touchesBorder(t.get(0)))
            .count();
    long leaving =
        tracks.values().stream()
            .filter(t -> t.get(t.size() - 1).frame() < FRAMES && touchesBorder(t.get(t.size() - 1)))
            .count();
    assertThat(entering).isGreaterThanOrEqualTo(3);
    assertThat(leaving).isGreaterThanOrEqualTo(2);
  }

  @Test
  void oneObjectStandsStillAndIsHiddenByAnotherForAWhile() {
    boolean found = false;
    for (List<MotFile.Box> t : tracks.values()) {
      int run = 1;
      int longest = 1;
      for (int i = 1; i < t.size(); i++) {
        run = sameBox(t.get(i - 1), t.get(i)) ? run + 1 : 1;
        longest = Math.max(longest, run);
      }
      boolean hiddenInside = false;
      for (int i = 1; i < t.size(); i++) {
        if (t.get(i).frame() > t.get(i - 1).frame() + 1 && !touchesBorder(t.get(i - 1))) {
          hiddenInside = true; // gone for a while in the middle of the frame, then back
        }
      }
      found |= longest >= 10 && hiddenInside;
    }
    assertThat(found).as("a still object that disappears behind another and comes back").isTrue();
  }

  @Test
  void objectsCrossEachOther() {
    int crossings = 0;
    List<Integer> ids = new ArrayList<>(tracks.keySet());
    for (int i = 0; i < ids.size(); i++) {
      for (int j = i + 1; j < ids.size(); j++) {
        Map<Integer, MotFile.Box> a = byFrame(tracks.get(ids.get(i)));
        Map<Integer, MotFile.Box> b = byFrame(tracks.get(ids.get(j)));
        for (int f : a.keySet()) {
          if (b.containsKey(f)
              && overlap(a.get(f), b.get(f))
              && a.containsKey(f - 6)
              && b.containsKey(f - 6)
              && a.containsKey(f + 6)
              && b.containsKey(f + 6)) {
            double[] before = offset(a.get(f - 6), b.get(f - 6));
            double[] after = offset(a.get(f + 6), b.get(f + 6));
            if (before[0] * after[0] + before[1] * after[1] < 0) {
              crossings++; // they overlap and swap sides
              break;
            }
          }
        }
      }
    }
    assertThat(crossings).isGreaterThanOrEqualTo(1);
  }

  @Test
  void theGroundTruthAsTrackerOutputScoresPerfectly() {
    MotFile gt = MotFile.read(clip.resolve("gt.txt"));
    MotMetrics m = MotEvaluator.evaluate(gt, gt);
    assertThat(m.hota()).isEqualTo(1.0);
    assertThat(m.mota()).isEqualTo(1.0);
    assertThat(m.idf1()).isEqualTo(1.0);
    assertThat(m.idsw()).isZero();
  }

  @Test
  void theSameSeedGivesTheSameGroundTruthAndFrames() throws IOException {
    Path again = tmp.resolve("again");
    GENERATOR.writeClip(again, FRAMES, 3);
    for (String file :
        List.of(
            "gt.txt", "annotations.json", "images/frame_000000.png", "images/frame_000119.png")) {
      assertThat(Files.readAllBytes(again.resolve(file)))
          .as(file)
          .isEqualTo(Files.readAllBytes(clip.resolve(file)));
    }
    Path other = tmp.resolve("other");
    GENERATOR.writeClip(other, 3, 4);
    assertThat(Files.readString(other.resolve("gt.txt")))
        .isNotEqualTo(Files.readString(clip.resolve("gt.txt")));
  }

  @Test
  void shortClipsStillHaveAnObjectEnteringAndOneHidden() {
    ClipScript script = GENERATOR.clipScript(12, 3);
    assertThat(script.actors()).anyMatch(a -> a.born() > 0);
    assertThat(script.actors()).anyMatch(a -> a.vx() == 0 && a.vy() == 0);
    assertThat(script.actors()).anyMatch(a -> a.pauseFrom() >= 0);
  }

  static Map<Integer, List<MotFile.Box>> byTrack(MotFile file) {
    Map<Integer, List<MotFile.Box>> out = new TreeMap<>();
    file.boxes().forEach(b -> out.computeIfAbsent(b.id(), k -> new ArrayList<>()).add(b));
    return out;
  }

  static Map<Integer, MotFile.Box> byFrame(List<MotFile.Box> track) {
    Map<Integer, MotFile.Box> out = new TreeMap<>();
    track.forEach(b -> out.put(b.frame(), b));
    return out;
  }

  static boolean touchesBorder(MotFile.Box b) {
    return b.left() <= 0 || b.top() <= 0 || b.left() + b.width() >= W || b.top() + b.height() >= H;
  }

  static boolean sameBox(MotFile.Box a, MotFile.Box b) {
    return a.frame() + 1 == b.frame()
        && a.left() == b.left()
        && a.top() == b.top()
        && a.width() == b.width()
        && a.height() == b.height();
  }

  static boolean overlap(MotFile.Box a, MotFile.Box b) {
    return a.left() < b.left() + b.width()
        && b.left() < a.left() + a.width()
        && a.top() < b.top() + b.height()
        && b.top() < a.top() + a.height();
  }

  static double[] offset(MotFile.Box a, MotFile.Box b) {
    return new double[] {
      (b.left() + b.width() / 2) - (a.left() + a.width() / 2),
      (b.top() + b.height() / 2) - (a.top() + a.height() / 2)
    };
  }
}
