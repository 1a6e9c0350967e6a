package io.maskstream.detector.zone;

import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.detector.track.KalmanBoxFilter;
import io.maskstream.detector.track.Track;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.avro.ClassCount;
import io.maskstream.schemas.avro.CrossingCount;
import io.maskstream.schemas.avro.LineDefinition;
import io.maskstream.schemas.avro.Point;
import io.maskstream.schemas.avro.ZoneAnchor;
import io.maskstream.schemas.avro.ZoneDefinition;
import io.maskstream.schemas.avro.ZoneEvent;
import io.maskstream.schemas.avro.ZoneEventType;
import io.maskstream.schemas.avro.ZoneSet;
import io.maskstream.schemas.avro.ZoneState;
import io.maskstream.schemas.internal.TrustedClasses;
import io.maskstream.schemas.rle.CocoRle;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ZoneCounterTest {
  private static final int W = 640;
  private static final int H = 480;
  private final ZoneCounter counter = new ZoneCounter();

  @BeforeAll
  static void trustEventClasses() {
    TrustedClasses.install();
  }

  /** A line from (100, 200) to (300, 200): moving down the image crosses it left to right. */
  private static LineDefinition gate(int minFrames) {
    return LineDefinition.newBuilder()
        .setName("gate")
        .setStart(new Point(100.0, 200.0))
        .setEnd(new Point(300.0, 200.0))
        .setMinFrames(minFrames)
        .setInName("southbound")
        .setOutName("northbound")
        .build();
  }

  /** The right half of the frame below y 100. */
  private static ZoneDefinition dock(int minFrames, Double loiterSeconds) {
    return ZoneDefinition.newBuilder()
        .setName("dock")
        .setPolygon(
            List.of(
                new Point(0.5, 0.25),
                new Point(1.0, 0.25),
                new Point(1.0, 1.0),
                new Point(0.5, 1.0)))
        .setRelative(true)
        .setMinFrames(minFrames)
        .setLoiterSeconds(loiterSeconds)
        .build();
  }

  private static ZoneLayout layout(List<ZoneDefinition> zones, List<LineDefinition> lines) {
    ZoneSet set =
        ZoneSet.newBuilder()
            .setCamera("cam")
            .setUpdatedAt(Instant.EPOCH)
            .setZones(zones)
            .setLines(lines)
            .build();
    return ZoneLayout.of(set, W, H);
  }

  /** A confirmed track whose box has its bottom centre at (x, y): 20 wide, 40 high. */
  static Track at(long id, String label, double x, double y, long time) {
    double h = 40;
    double w = 20;
    double[] mean = {x, y - h / 2, w / h, h, 0, 0, 0, 0};
    return new Track(
        id,
        label,
        Track.State.TRACKED,
        new KalmanBoxFilter.Estimate(mean, new double[64]),
        null,
        0.9f,
        0.9f,
        5,
        0,
        0,
        0,
        0,
        0,
        time);
  }

  /** Frames of one camera through the counter, with what they raised. */
  private final class Run {
    final ZoneLayout layout;
    ZoneTally tally = ZoneTally.EMPTY;
    long sequence;
    final List<ZoneEvent> events = new ArrayList<>();
    ZoneCounter.Step last;

    Run(ZoneLayout layout) {
      this.layout = layout;
    }

    /** One frame in which {@code seen} are matched; they and {@code lost} stay alive. */
    Run frame(List<Track> seen, List<Long> lost, List<Track> ended) {
      Set<Long> alive = new HashSet<>(lost);
      seen.forEach(t -> alive.add(t.id()));
      last = counter.step(tally, layout, "cam", sequence, sequence * 100, seen, alive, ended);
      tally = last.tally();
      events.addAll(last.events());
      sequence++;
      return this;
    }

    Run frame(Track... seen) {
      return frame(List.of(seen), List.of(), List.of());
    }

    /** Track 1 walking from (x0, y0) to (x1, y1) in {@code steps} frames. */
    Run walk(double x0, double y0, double x1, double y1, int steps) {
      for (int i = 0; i <= steps; i++) {
        double s = (double) i / steps;
        frame(at(1, "person", x0 + s * (x1 - x0), y0 + s * (y1 - y0), sequence * 100));
      }
      return this;
    }

    List<ZoneEvent> of(ZoneEventType type) {
      return events.stream().filter(e -> e.getType() == type).toList();
    }
  }

  @Test
  void crossingTheSegmentCountsOnceInItsDirection() {
    Run run = new Run(layout(List.of(), List.of(gate(3)))).walk(200, 150, 200, 260, 11);
    List<ZoneEvent> crossings = run.of(ZoneEventType.CROSS);
    assertThat(crossings).hasSize(1);
    ZoneEvent e = crossings.get(0);
    assertThat(e.getDirection()).isEqualTo("southbound");
    assertThat(e.getZone()).isEqualTo("gate");
    assertThat(e.getCrossings()).containsExactly(new CrossingCount("person", "southbound", 1L));
    // y 200 (frame 5) is on the line; counted with the third frame below it, not before
    assertThat(e.getFrameSequence()).isEqualTo(8);
    run.walk(200, 260, 200, 150, 11);
    assertThat(run.of(ZoneEventType.CROSS)).hasSize(2);
    assertThat(run.of(ZoneEventType.CROSS).get(1).getDirection()).isEqualTo("northbound");
    assertThat(run.of(ZoneEventType.CROSS).get(1).getCrossings())
        .containsExactly(
            new CrossingCount("person", "northbound", 1L),
            new CrossingCount("person", "southbound", 1L));
  }

  @Test
  void passingTheLinesExtensionIsNotACrossing() {
    // supervision#210: beyond the segment's end (x 300) the side changes, but nothing crossed
    Run run = new Run(layout(List.of(), List.of(gate(1))));
    run.walk(400, 100, 400, 300, 10).walk(320, 300, 320, 100, 10);
    assertThat(run.of(ZoneEventType.CROSS)).isEmpty();
    assertThat(run.tally.counts()).isEmpty();
    // and through the segment it does count, with the same settings
    run.walk(250, 100, 250, 300, 10);
    assertThat(run.of(ZoneEventType.CROSS)).hasSize(1);
  }

  @Test
  void flickerOnTheLineIsNotCountedBackAndForth() {
    // supervision#2598: a box jittering around the line, sides alternating or in pairs
    int[] pattern = {-3, 3, -2, 2, 2, -2, -3, 3, 3, -1, 1, -4, 4, 4, -4, -4};
    Run steady = new Run(layout(List.of(), List.of(gate(3))));
    Run eager = new Run(layout(List.of(), List.of(gate(1))));
    for (int i = 0; i < 60; i++) {
      Track t = at(1, "person", 200, 200 + pattern[i % pattern.length], i * 100L);
      steady.frame(t);
      eager.frame(t);
    }
    assertThat(steady.of(ZoneEventType.CROSS)).isEmpty();
    // without the hysteresis the same jitter would have been counted many times
    assertThat(eager.of(ZoneEventType.CROSS).size()).isGreaterThan(20);
  }

  @Test
  void anObjectThatJumpsOverTheLineBetweenTwoFramesIsCounted() {
    // ultralytics#25492: 300 px per frame, never near the line
    Run run = new Run(layout(List.of(), List.of(gate(3))));
    run.frame(at(1, "car", 150, 20, 0))
        .frame(at(1, "car", 180, 40, 100))
        .frame(at(1, "car", 210, 340, 200))
        .frame(at(1, "car", 240, 440, 300))
        .frame(at(1, "car", 270, 470, 400));
    assertThat(run.of(ZoneEventType.CROSS)).hasSize(1);
    // and so is one lost while it crossed, seen again far beyond
    Run lost = new Run(layout(List.of(), List.of(gate(2))));
    lost.frame(at(2, "car", 200, 120, 0)).frame(at(2, "car", 200, 150, 100));
    for (int i = 0; i < 5; i++) {
      lost.frame(List.of(), List.of(2L), List.of());
    }
    lost.frame(at(2, "car", 200, 400, 800)).frame(at(2, "car", 200, 420, 900));
    assertThat(lost.of(ZoneEventType.CROSS)).hasSize(1);
    assertThat(lost.of(ZoneEventType.CROSS).get(0).getDirection()).isEqualTo("southbound");
  }

  @Test
  void countsFollowAnObjectThatLeavesTheFrameInsideAZone() {
    // supervision#1855: the object walks into the zone and out of the frame; its track ends there
    Run run = new Run(layout(List.of(dock(3, null)), List.of()));
    run.walk(100, 300, 630, 300, 20);
    List<ZoneEvent> enters = run.of(ZoneEventType.ENTER);
    assertThat(enters).hasSize(1);
    assertThat(enters.get(0).getOccupancy()).containsExactly(new ClassCount("person", 1L));
    Track last = at(1, "person", 630, 300, 2000);
    for (int i = 0; i < 3; i++) {
      run.frame(List.of(), List.of(1L), List.of());
    }
    assertThat(run.of(ZoneEventType.EXIT)).isEmpty();
    run.frame(List.of(), List.of(), List.of(last));
    List<ZoneEvent> exits = run.of(ZoneEventType.EXIT);
    assertThat(exits).hasSize(1);
    assertThat(exits.get(0).getEnded()).isTrue();
    assertThat(exits.get(0).getOccupancy()).isEmpty();
    assertThat(exits.get(0).getDwellMillis())
        .isEqualTo(2000 - enters.get(0).getEnteredTime().toEpochMilli());
    assertThat(run.last.memberships().get(1L).entered()).containsExactly("dock");
    assertThat(run.last.memberships().get(1L).inside()).isEmpty();
    assertThat(run.tally.presences()).isEmpty();
  }

  @Test
  void occupancyIsByClassAndExitsLeaveIt() {
    Run run = new Run(layout(List.of(dock(2, null)), List.of()));
    for (int i = 0; i < 3; i++) {
      run.frame(
          at(1, "person", 400, 300, i * 100L),
          at(2, "person", 500, 300, i * 100L),
          at(3, "car", 600, 400, i * 100L));
    }
    List<ZoneEvent> enters = run.of(ZoneEventType.ENTER);
    assertThat(enters).extracting(ZoneEvent::getTrackId).containsExactly(1L, 2L, 3L);
    assertThat(enters.get(2).getOccupancy())
        .containsExactly(new ClassCount("car", 1L), new ClassCount("person", 2L));
    assertThat(run.last.memberships().get(2L).inside()).containsExactly("dock");
    // person 2 walks out to the left half
    for (int i = 0; i < 2; i++) {
      run.frame(
          at(1, "person", 400, 300, 300 + i * 100L),
          at(2, "person", 100, 300, 300 + i * 100L),
          at(3, "car", 600, 400, 300 + i * 100L));
    }
    List<ZoneEvent> exits = run.of(ZoneEventType.EXIT);
    assertThat(exits).hasSize(1);
    assertThat(exits.get(0).getTrackId()).isEqualTo(2);
    assertThat(exits.get(0).getEnded()).isFalse();
    assertThat(exits.get(0).getOccupancy())
        .containsExactly(new ClassCount("car", 1L), new ClassCount("person", 1L));
    assertThat(exits.get(0).getDwellMillis()).isEqualTo(300);
  }

  @Test
  void aBorderJitterDoesNotEnterAndLeaveAgainAndAgain() {
    Run run = new Run(layout(List.of(dock(3, null)), List.of()));
    // the zone's left border is x 320: bottom centres alternate 318 / 322
    for (int i = 0; i < 40; i++) {
      run.frame(at(1, "person", i % 2 == 0 ? 318 : 322, 300, i * 100L));
    }
    assertThat(run.events).isEmpty();
  }

  @Test
  void loiteringIsRaisedOncePerVisit() {
    Run run = new Run(layout(List.of(dock(1, 1.0)), List.of()));
    for (int i = 0; i < 30; i++) {
      run.frame(at(1, "person", 400, 300, i * 100L));
    }
    List<ZoneEvent> loiters = run.of(ZoneEventType.LOITER);
    assertThat(loiters).hasSize(1);
    assertThat(loiters.get(0).getDwellMillis()).isEqualTo(1000);
    assertThat(loiters.get(0).getFrameSequence()).isEqualTo(10);
    run.frame(at(1, "person", 100, 300, 3000)); // out
    for (int i = 0; i < 15; i++) {
      run.frame(at(1, "person", 400, 300, 3100 + i * 100L)); // back, second visit
    }
    assertThat(run.of(ZoneEventType.ENTER)).hasSize(2);
    assertThat(run.of(ZoneEventType.LOITER)).hasSize(2);
  }

  @Test
  void theMaskAnchorCountsTheShareOfTheMaskInside() {
    ZoneDefinition byMask =
        ZoneDefinition.newBuilder(dock(1, null))
            .setAnchor(ZoneAnchor.MASK)
            .setMaskShare(0.5f)
            .build();
    Run run = new Run(layout(List.of(byMask), List.of()));
    // a 100 x 100 square mask with 40 of its columns right of x 320 (the box's bottom centre is
    // inside, the mask mostly not), then 60
    run.frame(withMask(at(1, "person", 330, 300, 0), 260, 200));
    assertThat(run.events).isEmpty();
    run.frame(withMask(at(1, "person", 330, 300, 100), 280, 200));
    assertThat(run.of(ZoneEventType.ENTER)).hasSize(1);
  }

  private static Track withMask(Track t, int x0, int y0) {
    byte[] pixels = new byte[W * H];
    for (int y = y0; y < y0 + 100; y++) {
      for (int x = x0; x < x0 + 100; x++) {
        pixels[y * W + x] = 1;
      }
    }
    CocoRle mask = CocoRle.encodeRowMajor(pixels, H, W);
    return new Track(
        t.id(),
        t.label(),
        t.state(),
        t.estimate(),
        mask,
        t.score(),
        t.topScore(),
        t.consecutive(),
        t.firstFrame(),
        t.lastFrame(),
        t.firstSequence(),
        t.lastSequence(),
        t.firstTime(),
        t.lastTime());
  }

  @Test
  void classesFilterWhatAZoneOrLineCounts() {
    LineDefinition carsOnly = LineDefinition.newBuilder(gate(1)).setClasses(List.of("car")).build();
    Run run = new Run(layout(List.of(), List.of(carsOnly)));
    for (int i = 0; i <= 10; i++) {
      run.frame(
          at(1, "person", 200, 150 + 10 * i, i * 100L), at(2, "car", 250, 150 + 10 * i, i * 100L));
    }
    assertThat(run.of(ZoneEventType.CROSS)).extracting(ZoneEvent::getTrackId).containsExactly(2L);
  }

  @Test
  void aStoredTallyContinuesExactlyAsTheUninterruptedOne() {
    ZoneLayout layout = layout(List.of(dock(3, 0.5)), List.of(gate(3)));
    Run whole = new Run(layout).walk(150, 100, 500, 400, 30);
    Run cut = new Run(layout).walk(150, 100, 500, 400, 30);
    // the same frames, the state passing through its stored form every frame
    Run stored = new Run(layout);
    AvroSerde<ZoneState> serde = new AvroSerde<>(ZoneState.class);
    for (int i = 0; i <= 30; i++) {
      double s = i / 30.0;
      stored.frame(at(1, "person", 150 + s * 350, 100 + s * 300, stored.sequence * 100));
      stored.tally =
          ZoneTallies.tally(
              serde.deserialize("t", serde.serialize("t", ZoneTallies.of(stored.tally))));
    }
    assertThat(whole.events).isNotEmpty();
    assertThat(stored.events).isEqualTo(whole.events);
    assertThat(stored.tally).isEqualTo(cut.tally);
  }

  @Test
  void removedZonesAndLinesTakeTheirStateWithThem() {
    Run run = new Run(layout(List.of(dock(1, null)), List.of(gate(1))));
    run.walk(200, 150, 400, 300, 10);
    assertThat(run.tally.counts()).hasSize(1);
    assertThat(run.tally.presences()).hasSize(2);
    Run after = new Run(layout(List.of(), List.of(gate(1))));
    after.tally = run.tally;
    after.sequence = run.sequence;
    after.frame(at(1, "person", 400, 300, 5000));
    // the zone's standing is gone, the line's count is kept while the line exists
    assertThat(after.tally.presences().keySet()).containsExactly(new ZoneTally.Key(1, "gate"));
    assertThat(after.tally.counts().values()).containsExactly(1L);
    Run none = new Run(ZoneLayout.NONE);
    none.tally = after.tally;
    none.frame(at(1, "person", 400, 300, 6000));
    assertThat(none.tally).isEqualTo(ZoneTally.EMPTY);
  }

  @Test
  void tracksThatVanishWithoutAnEndAreForgotten() {
    Run run = new Run(layout(List.of(dock(1, null)), List.of()));
    run.frame(at(1, "person", 400, 300, 0));
    assertThat(run.tally.presences()).hasSize(1);
    run.frame(at(7, "person", 100, 100, 100)); // track 1 neither alive nor ended: state restarted
    assertThat(run.tally.presences()).isEmpty();
  }
}
