package io.maskstream.launcher.bench;

import io.maskstream.broker.EmbeddedKafka;
import io.maskstream.detector.DetectorConfig;
import io.maskstream.detector.DetectorService;
import io.maskstream.detector.offline.MotResultsWriter;
import io.maskstream.detector.track.ByteTracker;
import io.maskstream.detector.track.Observation;
import io.maskstream.detector.track.TrackerSettings;
import io.maskstream.detector.track.TrackerState;
import io.maskstream.ingest.IngestConfig;
import io.maskstream.ingest.IngestService;
import io.maskstream.ingest.publish.KafkaFrameSender;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.Topics;
import io.maskstream.schemas.avro.Detection;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.InstanceMask;
import io.maskstream.schemas.avro.Masks;
import io.maskstream.schemas.rle.CocoIou;
import io.maskstream.schemas.rle.CocoRle;
import io.maskstream.trainer.eval.mot.MotEvaluator;
import io.maskstream.trainer.eval.mot.MotFile;
import io.maskstream.trainer.eval.mot.MotMetrics;
import io.maskstream.trainer.eval.mot.MotReport;
import io.maskstream.trainer.eval.mot.MotSequence;
import io.maskstream.trainer.shapes.ShapesConfig;
import io.maskstream.trainer.shapes.ShapesGenerator;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Tracking accuracy through the real pipeline, next to baselines on the same detections.
 *
 * <p>Generated shapes clips ({@code maskstream shapes --video}: objects entering, leaving,
 * crossing, hidden behind others, standing) go once through the real pipeline on an embedded Kafka:
 * ingest of each clip file (every frame: no pacing, a frame rate above the clip's, files wait for
 * room instead of dropping), the detector with the bundled model in complete mode and the product's
 * tracker, and the detections (with their track ids) and masks read back from their topics
 * (read_committed). Then, on those same detections, every variant tracks and is scored by {@code
 * track-eval}'s evaluator, all through the MOT writer of {@code infer --mot-out}:
 *
 * <ul>
 *   <li>{@code detector}: the track ids the detector wrote (defaults, score threshold {@value
 *       #PIPELINE_THRESHOLD}); replaying the same tracker offline must give the same ids;
 *   <li>ByteTrack with mask and box IoU (mask weight 0.5) and with boxes alone (0), each with and
 *       without score fusion;
 *   <li>a plain greedy IoU tracker ({@link GreedyIouTracker}).
 * </ul>
 *
 * <p>Each variant's detection score threshold (and the tracker's activation threshold) is chosen by
 * the best HOTA on the first clip over a grid, then applied to every clip; the table gives each
 * clip and all combined. Accuracy only: no timing. Prints the figures; no assertions.
 */
public final class TrackingBenchmark {
  private TrackingBenchmark() {}

  /** The detector's score threshold: ByteTrack's low threshold, below which it uses nothing. */
  static final float PIPELINE_THRESHOLD = 0.1f;

  /** Thresholds tried for the detections' score and the tracker's activation: 0.10 .. 0.50. */
  static final float[] GRID = {0.10f, 0.15f, 0.20f, 0.25f, 0.30f, 0.35f, 0.40f, 0.45f, 0.50f};

  /** One detection read back from the topics. */
  record Det(
      String label, float score, float x1, float y1, float x2, float y2, CocoRle mask, long id) {
    double[] box() {
      return new double[] {x1, y1, x2, y2};
    }
  }

  /** One clip: its ground truth and each frame's detections, in frame order. */
  record Clip(String name, MotFile groundTruth, List<List<Det>> frames) {}

  /** A tracker under test: the ids of one frame's detections (0 for none). */
  interface Tracker {
    long[] step(int frame, List<Det> detections);
  }

  /** A way of tracking, with its thresholds. */
  record Variant(String name, float scoreThreshold, float activation, double maskWeight, int kind) {
    static final int DETECTOR = 0;
    static final int BYTE_FUSED = 1;
    static final int BYTE_PLAIN = 2;
    static final int GREEDY = 3;

    Variant with(float score, float act) {
      return new Variant(name, score, act, maskWeight, kind);
    }

    String settings() {
      return switch (kind) {
        case GREEDY -> String.format(Locale.ROOT, "score %.2f", scoreThreshold);
        default -> String.format(Locale.ROOT, "score %.2f, act. %.2f", scoreThreshold, activation);
      };
    }

    Tracker tracker() {
      switch (kind) {
        case DETECTOR:
          return (f, dets) -> dets.stream().mapToLong(Det::id).toArray();
        case GREEDY:
          GreedyIouTracker greedy = new GreedyIouTracker();
          return (f, dets) -> greedy.step(dets.stream().map(Det::box).toList());
        default:
          TrackerSettings d = TrackerSettings.DEFAULTS;
          // as TrackingOptions builds them from the command line
          ByteTracker byteTracker =
              new ByteTracker(
                  new TrackerSettings(
                      activation,
                      Math.min(d.lowScoreThreshold(), activation),
                      d.matchingThreshold(),
                      d.lostTrackBuffer(),
                      d.minimumConsecutiveFrames(),
                      maskWeight,
                      kind == BYTE_FUSED));
          TrackerState[] state = {TrackerState.EMPTY};
          return (f, dets) -> {
            List<Observation> obs = new ArrayList<>(dets.size());
            for (Det x : dets) {
              obs.add(new Observation(x.label(), x.score(), x.box(), x.mask()));
            }
            ByteTracker.Step step = byteTracker.step(state[0], f, 0, obs);
            state[0] = step.state();
            return step.trackIds();
          };
      }
    }
  }

  /**
   * A variant's figures on every clip and combined.
   *
   * @param heldOut the clips after the first (the one that tuned the thresholds) combined, or null
   *     for a single clip
   */
  record Scored(Variant variant, MotReport report, long[] ids, MotMetrics heldOut) {}

  /**
   * Arguments: [frames per clip (default 400)] [seeds (default 3 4 5; the first clip tunes the
   * thresholds)].
   */
  public static void main(String[] args) throws Exception {
    int frames = args.length > 0 ? Integer.parseInt(args[0]) : 400;
    List<Long> seeds = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      seeds.add(Long.parseLong(args[i]));
    }
    if (seeds.isEmpty()) {
      seeds = List.of(3L, 4L, 5L);
    }
    Path work = Files.createTempDirectory("tracking-bench");
    Map<String, Path> clips = new LinkedHashMap<>();
    ShapesGenerator generator = new ShapesGenerator(ShapesConfig.defaults());
    for (long seed : seeds) {
      Path dir = work.resolve("seed" + seed);
      generator.writeClip(dir, frames, seed); // what 'maskstream shapes --video' writes
      clips.put("seed" + seed, dir);
    }
    long t0 = System.nanoTime();
    Map<String, List<List<Det>>> events = runPipeline(work, clips, frames);
    System.out.printf(
        Locale.ROOT,
        "pipeline: %d clips x %d frames in %.0f s (load average %.2f)%n",
        clips.size(),
        frames,
        (System.nanoTime() - t0) / 1e9,
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());

    List<Clip> all = new ArrayList<>();
    for (Map.Entry<String, Path> e : clips.entrySet()) {
      all.add(
          new Clip(
              e.getKey(), MotFile.read(e.getValue().resolve("gt.txt")), events.get(e.getKey())));
    }
    report(all);
  }

  /** Scores, tunes and prints. */
  static void report(List<Clip> clips) {
    int detections = 0;
    for (Clip c : clips) {
      for (List<Det> f : c.frames()) {
        detections += f.size();
      }
    }
    System.out.printf(
        Locale.ROOT,
        "%d detections at score >= %.2f; ground truth %s boxes%n",
        detections,
        PIPELINE_THRESHOLD,
        clips.stream().mapToInt(c -> c.groundTruth().boxes().size()).sum());

    // the detector's own ids against the same tracker replayed offline
    Variant detector =
        new Variant("detector (pipeline)", PIPELINE_THRESHOLD, 0.25f, 0.5, Variant.DETECTOR);
    Variant replay = new Variant("replay", PIPELINE_THRESHOLD, 0.25f, 0.5, Variant.BYTE_FUSED);
    long differ = 0;
    for (Clip c : clips) {
      Tracker a = detector.tracker();
      Tracker b = replay.tracker();
      for (int f = 0; f < c.frames().size(); f++) {
        List<Det> dets = c.frames().get(f);
        long[] x = a.step(f, dets);
        long[] y = b.step(f, dets);
        for (int k = 0; k < x.length; k++) {
          if (x[k] != y[k]) {
            differ++;
          }
        }
      }
    }
    System.out.printf(
        Locale.ROOT,
        "detector's track ids against the same tracker replayed offline: %s%n",
        differ == 0 ? "identical" : differ + " detections differ");

    List<Variant> variants =
        List.of(
            new Variant("ByteTrack masks 0.5, fusion", 0, 0, 0.5, Variant.BYTE_FUSED),
            new Variant("ByteTrack boxes, fusion", 0, 0, 0, Variant.BYTE_FUSED),
            new Variant("ByteTrack masks 0.5, no fusion", 0, 0, 0.5, Variant.BYTE_PLAIN),
            new Variant("ByteTrack boxes, no fusion", 0, 0, 0, Variant.BYTE_PLAIN),
            new Variant("greedy IoU", 0, 0, 0, Variant.GREEDY));
    Clip tuning = clips.get(0);
    List<Variant> tuned = new ArrayList<>();
    // every grid point on every clip, for the same-settings comparison of masks and boxes
    Map<String, Map<String, Scored>> grid = new HashMap<>();
    for (Variant v : variants) {
      Variant best = null;
      double bestHota = -1;
      Map<String, Scored> byPoint = new TreeMap<>();
      StringBuilder table = new StringBuilder();
      table.append(String.format(Locale.ROOT, "  %-6s", "score"));
      float[] acts = v.kind() == Variant.GREEDY ? new float[] {0} : GRID;
      for (float a : acts) {
        table.append(
            v.kind() == Variant.GREEDY ? "   HOTA" : String.format(Locale.ROOT, "  a%.2f", a));
      }
      table.append('\n');
      for (float s : GRID) {
        table.append(String.format(Locale.ROOT, "  %-6.2f", s));
        for (float a : acts) {
          Variant p = v.with(s, a);
          Scored sc = score(p, clips);
          byPoint.put(key(s, a), sc);
          double hota = 0;
          for (MotReport.Row r : sc.report().sequences()) {
            if (r.name().equals(tuning.name())) {
              hota = r.metrics().hota();
            }
          }
          table.append(String.format(Locale.ROOT, "  %5.1f", 100 * hota));
          if (hota > bestHota) {
            bestHota = hota;
            best = p;
          }
        }
        table.append('\n');
      }
      grid.put(v.name(), byPoint);
      tuned.add(best);
      System.out.printf(
          Locale.ROOT,
          "%s: HOTA on %s by detection score (rows) and activation threshold (columns); best"
              + " %s%n%s",
          v.name(),
          tuning.name(),
          best.settings(),
          table);
    }

    // masks against boxes at the same settings, over the whole grid, every clip
    for (String fusion : new String[] {"fusion", "no fusion"}) {
      Map<String, Scored> masks = grid.get("ByteTrack masks 0.5, " + fusion);
      Map<String, Scored> boxes = grid.get("ByteTrack boxes, " + fusion);
      int fewer = 0;
      int more = 0;
      int same = 0;
      long idswMasks = 0;
      long idswBoxes = 0;
      double idf1Diff = 0;
      double hotaDiff = 0;
      for (String k : masks.keySet()) {
        MotMetrics m = masks.get(k).report().combined();
        MotMetrics b = boxes.get(k).report().combined();
        idswMasks += m.idsw();
        idswBoxes += b.idsw();
        idf1Diff += m.idf1() - b.idf1();
        hotaDiff += m.hota() - b.hota();
        if (m.idsw() < b.idsw()) {
          fewer++;
        } else if (m.idsw() > b.idsw()) {
          more++;
        } else {
          same++;
        }
      }
      System.out.printf(
          Locale.ROOT,
          "masks vs boxes, %s, same settings at each of %d grid points, all clips: masks fewer ID"
              + " switches at %d, more at %d, as many at %d; ID switches summed %d vs %d; mean"
              + " IDF1 %+.2f, HOTA %+.2f points%n",
          fusion,
          masks.size(),
          fewer,
          more,
          same,
          idswMasks,
          idswBoxes,
          100 * idf1Diff / masks.size(),
          100 * hotaDiff / masks.size());
    }

    // score fusion on against off at the same settings, over the whole grid, every clip
    for (String weight : new String[] {"masks 0.5", "boxes"}) {
      Map<String, Scored> on = grid.get("ByteTrack " + weight + ", fusion");
      Map<String, Scored> off = grid.get("ByteTrack " + weight + ", no fusion");
      int better = 0;
      double hotaDiff = 0;
      double idf1Diff = 0;
      for (String k : on.keySet()) {
        MotMetrics a = off.get(k).report().combined();
        MotMetrics b = on.get(k).report().combined();
        hotaDiff += a.hota() - b.hota();
        idf1Diff += a.idf1() - b.idf1();
        if (a.hota() > b.hota()) {
          better++;
        }
      }
      System.out.printf(
          Locale.ROOT,
          "no fusion vs fusion, %s, same settings at each of %d grid points, all clips: higher"
              + " HOTA at %d; mean HOTA %+.2f, IDF1 %+.2f points%n",
          weight,
          on.size(),
          better,
          100 * hotaDiff / on.size(),
          100 * idf1Diff / on.size());
    }

    similarities(clips, tuned.get(0).scoreThreshold());

    List<Scored> rows = new ArrayList<>();
    rows.add(score(detector, clips));
    rows.add(score(new Variant("ByteTrack defaults", 0.3f, 0.25f, 0.5, Variant.BYTE_FUSED), clips));
    for (Variant v : tuned) {
      rows.add(score(v, clips));
    }
    // the masks' share alone: each masks variant's settings with boxes only
    rows.add(
        score(
            new Variant(
                "ByteTrack boxes, fusion (masks' settings)",
                tuned.get(0).scoreThreshold(),
                tuned.get(0).activation(),
                0,
                Variant.BYTE_FUSED),
            clips));
    rows.add(
        score(
            new Variant(
                "ByteTrack boxes, no fusion (masks' settings)",
                tuned.get(2).scoreThreshold(),
                tuned.get(2).activation(),
                0,
                Variant.BYTE_PLAIN),
            clips));
    printTable(rows, clips);
  }

  /**
   * What the tracker's similarity sees: for detections (scoring at least {@code minScore}) in
   * consecutive frames, each matched to a ground-truth object (box IoU at least 0.5, greedily), the
   * mean box IoU and mask IoU of pairs of the same object, and of pairs of different objects whose
   * boxes overlap (crossings and occlusions). Mask IoU helps where it keeps the first high and
   * makes the second lower than box IoU does.
   */
  static void similarities(List<Clip> clips, float minScore) {
    double[] same = new double[3]; // pairs, sum of box IoU, sum of mask IoU
    double[] other = new double[3];
    for (Clip clip : clips) {
      Map<Integer, List<MotFile.Box>> gt = new HashMap<>();
      for (MotFile.Box b : clip.groundTruth().boxes()) {
        gt.computeIfAbsent(b.frame() - 1, k -> new ArrayList<>()).add(b);
      }
      List<Det> prev = List.of();
      int[] prevIds = new int[0];
      for (int f = 0; f < clip.frames().size(); f++) {
        List<Det> dets = new ArrayList<>();
        for (Det d : clip.frames().get(f)) {
          if (d.score() >= minScore && d.mask() != null) {
            dets.add(d);
          }
        }
        int[] ids = objectIds(dets, gt.getOrDefault(f, List.of()));
        for (int i = 0; i < prev.size(); i++) {
          for (int j = 0; j < dets.size(); j++) {
            if (prevIds[i] == 0 || ids[j] == 0) {
              continue;
            }
            double box = GreedyIouTracker.iou(prev.get(i).box(), dets.get(j).box());
            double[] into = prevIds[i] == ids[j] ? same : other;
            if (into == other && box <= 0) {
              continue;
            }
            into[0]++;
            into[1] += box;
            into[2] += CocoIou.of(prev.get(i).mask(), dets.get(j).mask());
          }
        }
        prev = dets;
        prevIds = ids;
      }
    }
    System.out.printf(
        Locale.ROOT,
        "consecutive frames, detections scoring >= %.2f matched to ground truth: same object"
            + " (%d pairs) box IoU %.3f, mask IoU %.3f; different objects with overlapping boxes"
            + " (%d pairs) box IoU %.3f, mask IoU %.3f%n",
        minScore,
        (long) same[0],
        same[1] / same[0],
        same[2] / same[0],
        (long) other[0],
        other[1] / other[0],
        other[2] / other[0]);
  }

  /** The ground-truth id of each detection (box IoU >= 0.5, greedily by IoU), 0 for none. */
  private static int[] objectIds(List<Det> dets, List<MotFile.Box> gt) {
    List<double[]> pairs = new ArrayList<>();
    for (int d = 0; d < dets.size(); d++) {
      for (int g = 0; g < gt.size(); g++) {
        MotFile.Box b = gt.get(g);
        double iou =
            GreedyIouTracker.iou(
                dets.get(d).box(),
                new double[] {b.left(), b.top(), b.left() + b.width(), b.top() + b.height()});
        if (iou >= 0.5) {
          pairs.add(new double[] {iou, d, g});
        }
      }
    }
    pairs.sort((a, b) -> Double.compare(b[0], a[0]));
    int[] ids = new int[dets.size()];
    boolean[] taken = new boolean[gt.size()];
    for (double[] p : pairs) {
      int d = (int) p[1];
      int g = (int) p[2];
      if (ids[d] == 0 && !taken[g]) {
        taken[g] = true;
        ids[d] = gt.get(g).id();
      }
    }
    return ids;
  }

  private static String key(float s, float a) {
    return String.format(Locale.ROOT, "%.2f/%.2f", s, a);
  }

  /** Tracks every clip with {@code v} and evaluates the results. */
  static Scored score(Variant v, List<Clip> clips) {
    List<MotSequence> sequences = new ArrayList<>();
    long[] ids = new long[clips.size()];
    for (int c = 0; c < clips.size(); c++) {
      Clip clip = clips.get(c);
      Tracker tracker = v.tracker();
      StringBuilder mot = new StringBuilder();
      Set<Long> seen = new HashSet<>();
      for (int f = 0; f < clip.frames().size(); f++) {
        List<Det> dets = new ArrayList<>();
        for (Det d : clip.frames().get(f)) {
          if (d.score() >= v.scoreThreshold()) {
            dets.add(d);
          }
        }
        long[] trackIds = tracker.step(f, dets);
        for (int k = 0; k < dets.size(); k++) {
          if (trackIds[k] > 0) {
            Det d = dets.get(k);
            mot.append(
                MotResultsWriter.row(f, trackIds[k], d.x1(), d.y1(), d.x2(), d.y2(), d.score()));
            seen.add(trackIds[k]);
          }
        }
      }
      ids[c] = seen.size();
      sequences.add(
          new MotSequence(
              clip.name(),
              clip.groundTruth(),
              MotFile.parse(clip.name() + "/" + v.name(), mot.toString()),
              clip.frames().size()));
    }
    MotMetrics heldOut =
        sequences.size() < 2
            ? null
            : MotEvaluator.evaluate(sequences.subList(1, sequences.size())).combined();
    return new Scored(v, MotEvaluator.evaluate(sequences), ids, heldOut);
  }

  private static void printTable(List<Scored> rows, List<Clip> clips) {
    String head =
        String.format(
            Locale.ROOT,
            "%-10s %-45s %-22s %6s %6s %6s %7s %6s %5s %5s",
            "clip",
            "variant",
            "settings",
            "HOTA",
            "DetA",
            "AssA",
            "MOTA",
            "IDF1",
            "IDSW",
            "ids");
    System.out.println(head);
    int last = clips.size() < 2 ? clips.size() : clips.size() + 1;
    for (int c = 0; c <= last; c++) {
      for (Scored s : rows) {
        MotMetrics m;
        long ids = 0;
        String name;
        if (c < clips.size()) {
          name = clips.get(c).name();
          m = null;
          for (MotReport.Row r : s.report().sequences()) { // the report's rows are in name order
            if (r.name().equals(name)) {
              m = r.metrics();
            }
          }
          ids = s.ids()[c];
        } else if (c == clips.size()) {
          m = s.report().combined();
          name = "COMBINED";
          for (long n : s.ids()) {
            ids += n;
          }
        } else {
          m = s.heldOut();
          name = "HELD-OUT"; // every clip but the first, which tuned the thresholds
          for (int k = 1; k < s.ids().length; k++) {
            ids += s.ids()[k];
          }
        }
        System.out.printf(
            Locale.ROOT,
            "%-10s %-45s %-22s %6.1f %6.1f %6.1f %7.1f %6.1f %5d %5d%n",
            name,
            s.variant().name(),
            s.variant().settings(),
            100 * m.hota(),
            100 * m.detA(),
            100 * m.assA(),
            100 * m.mota(),
            100 * m.idf1(),
            m.idsw(),
            ids);
      }
    }
  }

  /**
   * Runs the clips through embedded Kafka, ingest and the detector (complete mode, bundled model)
   * and reads each frame's detections with their masks back, in frame order per clip.
   */
  static Map<String, List<List<Det>>> runPipeline(Path work, Map<String, Path> clips, int frames)
      throws Exception {
    Path model = work.resolve("shapes-tiny.onnx");
    try (InputStream in =
        TrackingBenchmark.class.getResourceAsStream("/io/maskstream/launcher/shapes-tiny.onnx")) {
      Files.copy(in, model);
    }
    try (EmbeddedKafka kafka =
        EmbeddedKafka.builder().port(0).dataDir(work.resolve("kafka")).build().start()) {
      Properties props = new Properties();
      props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
      TopicNames topics = TopicNames.DEFAULTS;
      try (Admin admin = Admin.create(props)) {
        Topics.ensure(
            admin, Topics.specs(topics, Topics.DEFAULT_PARTITIONS), Duration.ofSeconds(30));
      }
      Properties detectorProps = new Properties();
      detectorProps.putAll(props);
      detectorProps.put(StreamsConfig.STATE_DIR_CONFIG, work.resolve("streams").toString());
      DetectorConfig config =
          DetectorConfig.builder()
              .model(model)
              .kafka(detectorProps)
              .scoreThreshold(PIPELINE_THRESHOLD)
              .mode(DetectorConfig.Mode.COMPLETE)
              .tracker(TrackerSettings.DEFAULTS)
              .build();
      List<IngestConfig.Camera> cameras = new ArrayList<>();
      for (Map.Entry<String, Path> e : clips.entrySet()) {
        cameras.add(
            new IngestConfig.Camera(
                e.getKey(),
                e.getValue().resolve("clip.mp4").toString(),
                1000, // the highest rate: the sampler keeps every frame of a 10 fps clip
                IngestConfig.Defaults.MAX_WIDTH,
                IngestConfig.Defaults.JPEG_QUALITY,
                false,
                false, // not paced: as fast as Kafka takes them; a file waits for room, never drops
                IngestConfig.Defaults.READ_TIMEOUT,
                Map.of()));
      }
      try (DetectorService detector = DetectorService.start(config)) {
        IngestService ingest =
            IngestService.start(
                new IngestConfig(
                    cameras, -1, Duration.ZERO, IngestConfig.Defaults.IN_FLIGHT_PER_CAMERA),
                new KafkaFrameSender(props, topics.frames()));
        try (ingest) {
          ingest.awaitSourcesDone();
        }
        // closing sent what waited and had Kafka acknowledge everything
        for (String camera : clips.keySet()) {
          long sent = ingest.metrics(camera).sentCount();
          long dropped = ingest.metrics(camera).droppedCount();
          if (sent != frames || dropped != 0) {
            throw new IllegalStateException(
                camera + ": ingest sent " + sent + " frames, dropped " + dropped);
          }
        }
        return readBack(kafka.bootstrapServers(), topics, clips.keySet(), frames);
      }
    }
  }

  /** Reads every camera's {@code frames} detections and masks events (read_committed). */
  private static Map<String, List<List<Det>>> readBack(
      String bootstrap, TopicNames topics, Set<String> cameras, int frames) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "tracking-bench-" + System.nanoTime());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    AvroSerde<Detections> detSerde = new AvroSerde<>(Detections.class);
    AvroSerde<Masks> maskSerde = new AvroSerde<>(Masks.class);
    Map<String, Map<Long, Detections>> dets = new HashMap<>();
    Map<String, Map<Long, Masks>> masks = new HashMap<>();
    for (String c : cameras) {
      dets.put(c, new TreeMap<>());
      masks.put(c, new TreeMap<>());
    }
    long deadline = System.nanoTime() + Duration.ofHours(2).toNanos();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topics.detections(), topics.masks()));
      while (!complete(dets, frames) || !complete(masks, frames)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the detector did not process every frame in time");
        }
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          if (r.topic().equals(topics.detections())) {
            Detections d = detSerde.deserialize(r.topic(), r.value());
            dets.get(d.getFrame().getCamera().toString()).put(d.getFrame().getSequence(), d);
          } else {
            Masks m = maskSerde.deserialize(r.topic(), r.value());
            masks.get(m.getFrame().getCamera().toString()).put(m.getFrame().getSequence(), m);
          }
        }
      }
    }
    Map<String, List<List<Det>>> out = new HashMap<>();
    for (String c : cameras) {
      List<List<Det>> perFrame = new ArrayList<>();
      for (long seq = 0; seq < frames; seq++) {
        Detections d = dets.get(c).get(seq);
        Masks m = masks.get(c).get(seq);
        if (d == null || m == null) {
          throw new IllegalStateException(c + ": no events for frame " + seq);
        }
        Map<Integer, CocoRle> byIndex = new HashMap<>();
        for (InstanceMask im : m.getMasks()) {
          byIndex.put(
              im.getDetectionIndex(),
              CocoRle.fromString(
                  im.getRle().getHeight(),
                  im.getRle().getWidth(),
                  im.getRle().getCounts().toString()));
        }
        List<Det> list = new ArrayList<>();
        for (int k = 0; k < d.getDetections().size(); k++) {
          Detection x = d.getDetections().get(k);
          list.add(
              new Det(
                  x.getLabel().toString(),
                  x.getScore(),
                  x.getBox().getX1(),
                  x.getBox().getY1(),
                  x.getBox().getX2(),
                  x.getBox().getY2(),
                  byIndex.get(k),
                  x.getTrackId() == null ? 0 : x.getTrackId()));
        }
        perFrame.add(list);
      }
      out.put(c, perFrame);
    }
    return out;
  }

  private static boolean complete(Map<String, ? extends Map<Long, ?>> byCamera, int frames) {
    for (Map<Long, ?> m : byCamera.values()) {
      if (m.size() < frames) {
        return false;
      }
    }
    return true;
  }
}
