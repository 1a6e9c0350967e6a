package io.maskstream.detector.track;

import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.schemas.rle.CocoRle;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ByteTrackerTest {
  private static final int W = 200;
  private static final int H = 120;

  private static Observation box(
      String label, float score, double x, double y, double w, double h) {
    return new Observation(label, score, new double[] {x, y, x + w, y + h}, null);
  }

  /** A run of frames through one tracker, keeping the ids per frame. */
  private static final class Run {
    final ByteTracker tracker;
    TrackerState state = TrackerState.EMPTY;
    final List<long[]> ids = new ArrayList<>();
    final List<Track> started = new ArrayList<>();
    final List<Track> ended = new ArrayList<>();

    Run(TrackerSettings settings) {
      tracker = new ByteTracker(settings);
    }

    long[] frame(long sequence, Observation... observations) {
      ByteTracker.Step step = tracker.step(state, sequence, sequence * 66, List.of(observations));
      state = step.state();
      ids.add(step.trackIds());
      started.addAll(step.started());
      ended.addAll(step.ended());
      return step.trackIds();
    }
  }

  @Test
  void twoMovingObjectsKeepTheirIdsFromTheSecondFrameOn() {
    Run run = new Run(TrackerSettings.DEFAULTS);
    for (int f = 0; f < 20; f++) {
      long[] ids =
          run.frame(
              f,
              box("car", 0.9f, 10 + 3 * f, 10, 30, 20),
              box("person", 0.8f, 150 - 2 * f, 60, 10, 30));
      if (f == 0) {
        assertThat(ids).containsExactly(0, 0); // tentative: two frames to confirm
      } else {
        assertThat(ids).containsExactly(1, 2);
      }
    }
    assertThat(run.started).extracting(Track::id).containsExactly(1L, 2L);
    assertThat(run.started).extracting(Track::label).containsExactly("car", "person");
    assertThat(run.state.tracks()).hasSize(2);
  }

  @Test
  void anOccludedObjectComesBackWithItsIdWithinTheBufferAndEndsAfterIt() {
    Run run = new Run(TrackerSettings.DEFAULTS);
    long f = 0;
    for (; f < 10; f++) {
      run.frame(f, box("car", 0.9f, 10 + 2 * f, 40, 30, 20));
    }
    for (; f < 25; f++) {
      run.frame(f); // hidden for 15 frames
    }
    assertThat(run.frame(f, box("car", 0.9f, 10 + 2 * f, 40, 30, 20))).containsExactly(1);
    assertThat(run.ended).isEmpty();
    for (f++; f < 80; f++) {
      run.frame(f);
    }
    assertThat(run.ended).hasSize(1);
    assertThat(run.ended.get(0).id()).isEqualTo(1);
    assertThat(run.ended.get(0).lastSequence()).isEqualTo(25);
    assertThat(run.state.tracks()).isEmpty(); // ended tracks leave the state
    run.frame(f, box("car", 0.9f, 10, 40, 30, 20));
    assertThat(run.frame(f + 1, box("car", 0.9f, 12, 40, 30, 20))).containsExactly(2);
  }

  @Test
  void lowScoreDetectionsKeepATrackAliveButDoNotStartOne() {
    Run run = new Run(TrackerSettings.DEFAULTS);
    run.frame(0, box("car", 0.9f, 10, 40, 30, 20));
    run.frame(1, box("car", 0.9f, 12, 40, 30, 20));
    assertThat(run.frame(2, box("car", 0.15f, 14, 40, 30, 20))).containsExactly(1);
    assertThat(run.frame(3, box("car", 0.9f, 16, 40, 30, 20))).containsExactly(1);
    // a low-score detection alone starts nothing
    assertThat(run.frame(4, box("car", 0.9f, 18, 40, 30, 20), box("dog", 0.2f, 150, 10, 20, 20)))
        .containsExactly(1, 0);
    assertThat(run.frame(5, box("car", 0.9f, 20, 40, 30, 20), box("dog", 0.2f, 150, 10, 20, 20)))
        .containsExactly(1, 0);
  }

  @Test
  void tracksContinueOnlyWithTheirOwnLabel() {
    Run run = new Run(TrackerSettings.DEFAULTS);
    run.frame(0, box("car", 0.9f, 10, 40, 30, 20));
    run.frame(1, box("car", 0.9f, 10, 40, 30, 20));
    run.frame(2, box("truck", 0.9f, 10, 40, 30, 20));
    assertThat(run.frame(3, box("truck", 0.9f, 10, 40, 30, 20))).containsExactly(2);
  }

  @Test
  void skippedFramesArePredictedOverAndARestartedSequenceCountsAsTheNextFrame() {
    Run run = new Run(TrackerSettings.DEFAULTS);
    for (int f = 0; f < 8; f++) {
      run.frame(f, box("car", 0.9f, 5 * f, 40, 20, 20));
    }
    // four frames skipped: the car moved 25 px, more than its width; the filter predicts over the
    // gap (one prediction would leave no overlap at all)
    assertThat(run.frame(12, box("car", 0.9f, 60, 40, 20, 20))).containsExactly(1);
    assertThat(run.frame(13, box("car", 0.9f, 65, 40, 20, 20))).containsExactly(1);
    // the camera's sequence restarts (an ingest restart): the next frame, not a jump back
    assertThat(run.frame(0, box("car", 0.9f, 70, 40, 20, 20))).containsExactly(1);
  }

  @Test
  void masksTellApartObjectsWhoseBoxesCoincide() {
    // two objects in the same box: a horizontal bar and a vertical bar; they keep their ids by
    // their masks when the boxes cannot tell (the detector lists them in either order)
    CocoRle horizontal = rectangle(50, 70, 100, 80);
    CocoRle vertical = rectangle(70, 50, 80, 100);
    Run masks = new Run(TrackerSettings.DEFAULTS);
    Run boxesOnly = new Run(new TrackerSettings(0.25f, 0.1f, 0.8, 30, 2, 0.0, true));
    int switchesWithMasks = 0;
    int switchesBoxesOnly = 0;
    long[] firstWithMasks = null;
    long[] firstBoxesOnly = null;
    for (int f = 0; f < 12; f++) {
      boolean swap = f % 2 == 1;
      Observation h = new Observation("part", 0.9f, new double[] {50, 50, 100, 100}, horizontal);
      Observation v = new Observation("part", 0.9f, new double[] {50, 50, 100, 100}, vertical);
      long[] a = swap ? reversed(masks.frame(f, v, h)) : masks.frame(f, h, v);
      long[] b = swap ? reversed(boxesOnly.frame(f, v, h)) : boxesOnly.frame(f, h, v);
      if (f == 1) {
        firstWithMasks = a;
        firstBoxesOnly = b;
      } else if (f > 1) {
        switchesWithMasks += java.util.Arrays.equals(a, firstWithMasks) ? 0 : 1;
        switchesBoxesOnly += java.util.Arrays.equals(b, firstBoxesOnly) ? 0 : 1;
      }
    }
    assertThat(switchesWithMasks).isZero();
    assertThat(switchesBoxesOnly).isGreaterThan(0);
  }

  @Test
  void theSameFramesGiveTheSameIdsAcrossAStateHandOver() {
    List<Observation[]> frames = new ArrayList<>();
    for (int f = 0; f < 40; f++) {
      List<Observation> o = new ArrayList<>();
      o.add(box("car", 0.9f, 5 + 4 * f, 10, 20, 15));
      if (f % 7 != 3) {
        o.add(box("car", 0.5f + 0.01f * (f % 10), 180 - 3 * f, 30, 20, 15));
      }
      if (f > 10 && f < 30) {
        o.add(box("person", 0.7f, 100, 80, 8, 25));
      }
      frames.add(o.toArray(new Observation[0]));
    }
    Run whole = new Run(TrackerSettings.DEFAULTS);
    for (int f = 0; f < frames.size(); f++) {
      whole.frame(f, frames.get(f));
    }
    Run first = new Run(TrackerSettings.DEFAULTS);
    for (int f = 0; f < 20; f++) {
      first.frame(f, frames.get(f));
    }
    // another instance takes over the state, as its store's changelog holds it
    Run second = new Run(TrackerSettings.DEFAULTS);
    io.maskstream.schemas.AvroSerde<io.maskstream.schemas.avro.TrackerSnapshot> serde =
        new io.maskstream.schemas.AvroSerde<>(io.maskstream.schemas.avro.TrackerSnapshot.class);
    byte[] stored = serde.serialize("changelog", TrackerSnapshots.of(first.state));
    second.state = TrackerSnapshots.state(serde.deserialize("changelog", stored));
    assertThat(second.state.tracks()).hasSameSizeAs(first.state.tracks());
    for (int f = 20; f < frames.size(); f++) {
      second.frame(f, frames.get(f));
    }
    for (int f = 0; f < frames.size(); f++) {
      long[] expected = whole.ids.get(f);
      long[] actual = f < 20 ? first.ids.get(f) : second.ids.get(f - 20);
      assertThat(actual).as("frame %d", f).containsExactly(expected);
    }
  }

  private static long[] reversed(long[] ids) {
    return new long[] {ids[1], ids[0]};
  }

  private static CocoRle rectangle(int x0, int y0, int x1, int y1) {
    byte[] m = new byte[H * W];
    for (int y = y0; y < y1; y++) {
      for (int x = x0; x < x1; x++) {
        m[y * W + x] = 1;
      }
    }
    return CocoRle.encodeRowMajor(m, H, W);
  }
}
