package io.maskstream.detector.bench;

import io.maskstream.detector.stream.DecodedStates;
import io.maskstream.detector.track.ByteTracker;
import io.maskstream.detector.track.Observation;
import io.maskstream.detector.track.TrackerSettings;
import io.maskstream.detector.track.TrackerSnapshots;
import io.maskstream.detector.track.TrackerState;
import io.maskstream.detector.zone.ZoneCounter;
import io.maskstream.detector.zone.ZoneLayout;
import io.maskstream.detector.zone.ZoneTallies;
import io.maskstream.detector.zone.ZoneTally;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.avro.LineDefinition;
import io.maskstream.schemas.avro.Point;
import io.maskstream.schemas.avro.TrackerSnapshot;
import io.maskstream.schemas.avro.ZoneAnchor;
import io.maskstream.schemas.avro.ZoneDefinition;
import io.maskstream.schemas.avro.ZoneSet;
import io.maskstream.schemas.avro.ZoneState;
import io.maskstream.schemas.internal.TrustedClasses;
import io.maskstream.schemas.rle.CocoRle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The tracker's cost per frame and its state's size: N objects (ellipses with masks) moving and
 * crossing on a W x H frame, tracked for F frames on the calling thread, with mask IoU (the
 * default) and 4 zones and 4 lines, with mask IoU alone and with boxes alone; prints p50/p99/max of
 * one frame's step (association, filter, zones, snapshot encoding as the state stores get it) and
 * the snapshots' bytes per track. No assertions.
 *
 * <pre>
 * TrackerBenchmark [OBJECTS] [FRAMES] [W] [H]     e.g. 50 3000 1280 720
 * </pre>
 */
public final class TrackerBenchmark {
  private TrackerBenchmark() {}

  /** Runs the benchmark. */
  public static void main(String[] args) {
    int objects = args.length > 0 ? Integer.parseInt(args[0]) : 50;
    int frames = args.length > 1 ? Integer.parseInt(args[1]) : 3000;
    int w = args.length > 2 ? Integer.parseInt(args[2]) : 1280;
    int h = args.length > 3 ? Integer.parseInt(args[3]) : 720;
    List<List<Observation>> video = video(objects, frames, w, h, new Random(1));
    for (double maskWeight : new double[] {TrackerSettings.DEFAULTS.maskWeight(), 0.0}) {
      run(video, maskWeight, ZoneLayout.NONE, objects, w, h);
    }
    run(video, TrackerSettings.DEFAULTS.maskWeight(), zones(w, h), objects, w, h);
  }

  /**
   * Four zones (two by the bottom centre, one by the mask, one a thin diagonal strip) and four
   * lines across the frame.
   */
  static ZoneLayout zones(int w, int h) {
    TrustedClasses.install();
    List<ZoneDefinition> zones = new ArrayList<>();
    zones.add(zone("left", ZoneAnchor.BOTTOM_CENTER, 0, 0, 0.5, 0, 0.5, 1, 0, 1));
    zones.add(zone("right", ZoneAnchor.BOTTOM_CENTER, 0.5, 0, 1, 0, 1, 1, 0.5, 1));
    zones.add(zone("middle", ZoneAnchor.MASK, 0.3, 0.3, 0.7, 0.3, 0.7, 0.7, 0.3, 0.7));
    zones.add(zone("strip", ZoneAnchor.CENTER, 0, 0.1, 0.1, 0, 1, 0.9, 0.9, 1));
    List<LineDefinition> lines = new ArrayList<>();
    double[][] ends = {
      {0, 0.5, 1, 0.5}, {0.5, 0, 0.5, 1}, {0.1, 0.1, 0.9, 0.9}, {0.2, 0.8, 0.6, 0.2}
    };
    for (int i = 0; i < ends.length; i++) {
      lines.add(
          LineDefinition.newBuilder()
              .setName("line" + i)
              .setStart(new Point(ends[i][0], ends[i][1]))
              .setEnd(new Point(ends[i][2], ends[i][3]))
              .setRelative(true)
              .build());
    }
    ZoneSet set =
        ZoneSet.newBuilder()
            .setCamera("bench")
            .setUpdatedAt(java.time.Instant.EPOCH)
            .setZones(zones)
            .setLines(lines)
            .build();
    return ZoneLayout.of(set, w, h);
  }

  private static ZoneDefinition zone(String name, ZoneAnchor anchor, double... xy) {
    List<Point> polygon = new ArrayList<>();
    for (int i = 0; i < xy.length; i += 2) {
      polygon.add(new Point(xy[i], xy[i + 1]));
    }
    return ZoneDefinition.newBuilder()
        .setName(name)
        .setPolygon(polygon)
        .setRelative(true)
        .setAnchor(anchor)
        .setLoiterSeconds(10.0)
        .build();
  }

  private static void run(
      List<List<Observation>> video,
      double maskWeight,
      ZoneLayout zones,
      int objects,
      int w,
      int h) {
    TrackerSettings d = TrackerSettings.DEFAULTS;
    ByteTracker tracker =
        new ByteTracker(
            new TrackerSettings(
                d.activationThreshold(),
                d.lowScoreThreshold(),
                d.matchingThreshold(),
                d.lostTrackBuffer(),
                d.minimumConsecutiveFrames(),
                maskWeight,
                d.fuseScore()));
    AvroSerde<TrackerSnapshot> serde = new AvroSerde<>(TrackerSnapshot.class);
    AvroSerde<ZoneState> zoneSerde = new AvroSerde<>(ZoneState.class);
    ZoneCounter counter = new ZoneCounter();
    TrackerState state = TrackerState.EMPTY;
    byte[] storedState = null;
    byte[] storedTally = null;
    DecodedStates<TrackerState> trackerStates = new DecodedStates<>();
    DecodedStates<ZoneTally> zoneTallies = new DecodedStates<>();
    int warm = Math.min(500, video.size() / 3);
    long[] nanos = new long[video.size() - warm];
    long bytes = 0;
    long zoneBytes = 0;
    long zoneEvents = 0;
    int tracks = 0;
    for (int f = 0; f < video.size(); f++) {
      long t0 = System.nanoTime();
      // as the track node does it: the camera's state read from the store (decoded unless it holds
      // the bytes last written), stepped, written back
      byte[] inStore = storedState;
      TrackerState loaded = inStore == null ? TrackerState.EMPTY : trackerStates.get("c", inStore);
      if (loaded == null) {
        loaded = TrackerSnapshots.state(serde.deserialize("changelog", inStore));
      }
      ByteTracker.Step step = tracker.step(loaded, f, f * 66L, video.get(f));
      TrackerSnapshot snapshot = TrackerSnapshots.of(step.state());
      byte[] stored = serde.serialize("changelog", snapshot);
      trackerStates.put("c", stored, TrackerSnapshots.state(snapshot));
      byte[] zoneStored = null;
      int events = 0;
      if (!zones.isEmpty()) {
        byte[] tallyInStore = storedTally;
        ZoneTally tally =
            tallyInStore == null ? ZoneTally.EMPTY : zoneTallies.get("c", tallyInStore);
        if (tally == null) {
          tally = ZoneTallies.tally(zoneSerde.deserialize("changelog", tallyInStore));
        }
        ZoneCounter.Step z = counter.step(tally, zones, "bench", f, f * 66L, step);
        zoneStored = zoneSerde.serialize("changelog", ZoneTallies.of(z.tally()));
        zoneTallies.put("c", zoneStored, z.tally());
        storedTally = zoneStored;
        events = z.events().size();
      }
      long t1 = System.nanoTime();
      storedState = stored;
      state = step.state();
      if (f >= warm) {
        nanos[f - warm] = t1 - t0;
        bytes += stored.length;
        zoneBytes += zoneStored == null ? 0 : zoneStored.length;
        zoneEvents += events;
        tracks += state.tracks().size();
      }
    }
    Arrays.sort(nanos);
    System.out.printf(
        Locale.ROOT,
        "%d objects, %dx%d, mask weight %.1f%s: step p50 %.3f ms, p99 %.3f ms, max %.3f ms;"
            + " %d tracks kept, snapshot %.0f bytes per track%s%n",
        objects,
        w,
        h,
        maskWeight,
        zones.isEmpty()
            ? ""
            : ", " + zones.zones().size() + " zones and " + zones.lines().size() + " lines",
        nanos[nanos.length / 2] / 1e6,
        nanos[(int) (nanos.length * 0.99)] / 1e6,
        nanos[nanos.length - 1] / 1e6,
        state.tracks().size(),
        tracks == 0 ? 0.0 : (double) bytes / tracks,
        zones.isEmpty()
            ? ""
            : String.format(
                Locale.ROOT,
                ", zone state %.0f bytes per track, %.2f zone events per frame",
                tracks == 0 ? 0.0 : (double) zoneBytes / tracks,
                (double) zoneEvents / nanos.length));
  }

  /** Objects bouncing around the frame at their own speeds, some crossing; masks are ellipses. */
  static List<List<Observation>> video(int objects, int frames, int w, int h, Random random) {
    double[][] o = new double[objects][];
    for (int i = 0; i < objects; i++) {
      double bw = 30 + random.nextInt(60);
      double bh = 30 + random.nextInt(90);
      o[i] =
          new double[] {
            random.nextDouble() * (w - bw),
            random.nextDouble() * (h - bh),
            bw,
            bh,
            random.nextGaussian() * 3,
            random.nextGaussian() * 3
          };
    }
    List<List<Observation>> video = new ArrayList<>(frames);
    for (int f = 0; f < frames; f++) {
      List<Observation> frame = new ArrayList<>(objects);
      for (int i = 0; i < objects; i++) {
        double[] b = o[i];
        b[0] += b[4];
        b[1] += b[5];
        if (b[0] < 0 || b[0] + b[2] > w) {
          b[4] = -b[4];
          b[0] = Math.max(0, Math.min(w - b[2], b[0]));
        }
        if (b[1] < 0 || b[1] + b[3] > h) {
          b[5] = -b[5];
          b[1] = Math.max(0, Math.min(h - b[3], b[1]));
        }
        double[] box = {b[0], b[1], b[0] + b[2], b[1] + b[3]};
        float score = (float) (0.5 + 0.45 * random.nextDouble());
        frame.add(new Observation("object", score, box, ellipse(box, w, h)));
      }
      video.add(frame);
    }
    return video;
  }

  private static CocoRle ellipse(double[] box, int w, int h) {
    // column-major runs straight from the ellipse's extent per column
    double cx = (box[0] + box[2]) / 2;
    double cy = (box[1] + box[3]) / 2;
    double rx = (box[2] - box[0]) / 2;
    double ry = (box[3] - box[1]) / 2;
    List<Integer> counts = new ArrayList<>();
    long zeros = 0;
    for (int x = 0; x < w; x++) {
      double dx = (x + 0.5 - cx) / rx;
      if (Math.abs(dx) >= 1) {
        zeros += h;
        continue;
      }
      double half = ry * Math.sqrt(1 - dx * dx);
      int y0 = (int) Math.max(0, Math.ceil(cy - half - 0.5));
      int y1 = (int) Math.min(h, Math.floor(cy + half - 0.5) + 1);
      if (y1 <= y0) {
        zeros += h;
        continue;
      }
      zeros += y0;
      counts.add((int) zeros);
      counts.add(y1 - y0);
      zeros = h - y1;
    }
    counts.add((int) zeros);
    return CocoRle.fromCounts(h, w, counts.stream().mapToInt(Integer::intValue).toArray());
  }
}
