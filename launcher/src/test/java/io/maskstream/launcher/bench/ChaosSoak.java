package io.maskstream.launcher.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.broker.testing.ProcStatus;
import io.maskstream.broker.testing.TcpCutProxy;
import io.maskstream.ingest.FfmpegSender;
import io.maskstream.launcher.MaskstreamProcess;
import io.maskstream.schemas.TopicNames;
import io.maskstream.trainer.shapes.ShapesConfig;
import io.maskstream.trainer.shapes.ShapesGenerator;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The whole pipeline under faults for a set time, then what came out of it counted against what
 * went in.
 *
 * <p>Every part is the {@code maskstream} command in a JVM of its own, as a user runs it: {@code
 * broker} (its data dir and port kept across restarts), {@code ingest} of N live cameras (Debian's
 * ffmpeg streaming a generated shapes clip, played at twice their frame rate, over UDP to each),
 * {@code detect} with the bundled model in complete mode, and {@code sink web}, {@code sink
 * postgres} (through a {@link TcpCutProxy} in front of PostgreSQL) and {@code sink jsonl}. Every
 * fault interval the injector does the next of: restart the broker (SIGTERM, or SIGKILL every other
 * time), SIGKILL the detector, SIGKILL a sink (jsonl, postgres, web in turn), cut PostgreSQL, drop
 * a camera (its ffmpeg killed, started again later); each killed or cut part comes back after a few
 * seconds. A part that exits by itself is counted as an unexpected exit and started again. RSS and
 * threads of every child are sampled from {@code /proc}.
 *
 * <p>After the run the cameras stop, ingest stops cleanly, and the soak waits (up to a drain
 * timeout) until every frame on the frames topic has its events and the sinks have written them.
 * Then it counts, per camera: frames in, frames with events (read_committed), lost frames (on the
 * frames topic without both events or a dead letter), duplicate events (same camera, sequence and
 * model more than once), rows in PostgreSQL and duplicate rows, lines in JSONL and duplicate lines,
 * and the dead letters with their reasons; and per part RSS and threads at start, maximum and end,
 * with a verdict "flat" or "growing".
 *
 * <pre>ChaosSoak MINUTES [FAULT_INTERVAL_SECONDS [CAMERAS [FPS]]]</pre>
 */
public final class ChaosSoak {
  /** What the injector does, in this order, one per fault interval. */
  enum Fault {
    BROKER_RESTART("broker restarted"),
    DETECTOR_KILL("detector SIGKILLed"),
    SINK_KILL("sink SIGKILLed"),
    DATABASE_CUT("PostgreSQL cut"),
    CAMERA_DROP("camera dropped");

    final String text;

    Fault(String text) {
      this.text = text;
    }
  }

  /** How long, how often, how much. */
  record Settings(
      Duration duration, Duration faultInterval, int cameras, double fps, Duration drainTimeout) {
    Settings {
      if (cameras < 1 || fps <= 0 || duration.isNegative() || faultInterval.toSeconds() < 5) {
        throw new IllegalArgumentException("cameras from 1, fps above 0, fault interval from 5 s");
      }
    }
  }

  /** One sink's view of the frames, per camera. */
  record SinkCounts(
      String camera, int frames, int duplicates, int missing, long detections, long masks) {}

  /** A part's memory and threads over the run. */
  record Usage(
      String part,
      int starts,
      long rssStartMb,
      long rssMaxMb,
      long rssEndMb,
      int threadsStart,
      int threadsMax,
      int threadsEnd,
      long anonMaxMb,
      long fileMaxMb,
      long heapQ2Mb,
      long heapQ4Mb,
      boolean flat) {}

  /** Everything the run counted. */
  record Report(
      Settings settings,
      Duration ran,
      Map<Fault, Integer> faults,
      List<PipelineTally.CameraCounts> cameras,
      List<SinkCounts> postgres,
      List<SinkCounts> jsonl,
      int jsonlTornLines,
      int jsonlWithoutMasks,
      List<PipelineTally.DeadLetterSummary> deadLetters,
      List<String> tracksWithSeveralNews,
      int tracks,
      List<String> unexpectedExits,
      List<Usage> usage,
      int streamRestarts,
      boolean drained,
      boolean webAnswers) {

    int lost() {
      return cameras.stream().mapToInt(PipelineTally.CameraCounts::lost).sum();
    }

    int duplicateEvents() {
      return cameras.stream().mapToInt(PipelineTally.CameraCounts::duplicateEvents).sum();
    }

    int framesIn() {
      return cameras.stream().mapToInt(PipelineTally.CameraCounts::framesIn).sum();
    }
  }

  private static final String MODEL_RESOURCE = "/io/maskstream/launcher/shapes-tiny.onnx";
  private static final String JDBC_BASE = "jdbc:postgresql://127.0.0.1:5432/test";
  private static final long SAMPLE_MS = 5000;
  // a -Xlog:gc line with the timemillis decoration: "[1764690000123ms] GC(7) Pause ...
  // 95M->41M(256M) 3.1ms"
  private static final Pattern GC_LINE =
      Pattern.compile("^\\[(\\d+)ms\\].*?\\d+M->(\\d+)M\\(\\d+M\\)");

  private final Settings settings;
  private final Path work;
  private final PrintStream log;
  private final List<String> unexpectedExits = new CopyOnWriteArrayList<>();
  private final Map<Fault, Integer> faults = new EnumMap<>(Fault.class);
  private final String schema;
  private final Set<Integer> dropping = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private volatile int streamRestarts;
  private long t0;

  ChaosSoak(Settings settings, Path work, PrintStream log) {
    this.settings = settings;
    this.work = work;
    this.log = log;
    this.schema = "chaos_" + ProcessHandle.current().pid() + "_" + System.currentTimeMillis();
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: ChaosSoak MINUTES [FAULT_INTERVAL_SECONDS [CAMERAS [FPS]]]");
      System.exit(2);
    }
    Duration duration = Duration.ofSeconds(Math.round(Double.parseDouble(args[0]) * 60));
    Settings settings =
        new Settings(
            duration,
            Duration.ofSeconds(args.length > 1 ? Integer.parseInt(args[1]) : 60),
            args.length > 2 ? Integer.parseInt(args[2]) : 4,
            args.length > 3 ? Double.parseDouble(args[3]) : 1,
            Duration.ofMinutes(20));
    Path work = Files.createTempDirectory("maskstream-chaos-");
    Report report = new ChaosSoak(settings, work, System.out).run();
    System.out.println();
    System.out.print(table(report));
    System.out.println("logs of every part: " + work);
    System.exit(report.lost() == 0 && report.duplicateEvents() == 0 ? 0 : 1);
  }

  /**
   * Runs the soak; every process it started has ended, and its PostgreSQL schema is dropped, when
   * it returns or throws.
   */
  Report run() throws Exception {
    try {
      return runAndCount();
    } finally {
      dropSchema();
    }
  }

  private Report runAndCount() throws Exception {
    t0 = System.currentTimeMillis();
    Path clip = clip();
    Path model = work.resolve("shapes-tiny.onnx");
    try (InputStream in = ChaosSoak.class.getResourceAsStream(MODEL_RESOURCE)) {
      Files.copy(in, model);
    }
    int brokerPort = freePort();
    String bootstrap = "127.0.0.1:" + brokerPort;
    int controllerPort = freePort();
    int webPort = freePort();
    Path jsonlDir = Files.createDirectories(work.resolve("jsonl"));
    Path detectorConfig =
        Files.writeString(
            work.resolve("detector.properties"),
            "state.dir="
                + work.resolve("streams")
                + "\n"
                // a SIGKILLed detector's cameras move on within seconds, not Kafka's 45
                + "consumer.session.timeout.ms=10000\n");
    Path sinkConfig =
        Files.writeString(work.resolve("sink.properties"), "session.timeout.ms=10000\n");

    List<Child> children = new ArrayList<>();
    List<FfmpegSender> cameras = new ArrayList<>();
    List<Integer> cameraPorts = new ArrayList<>();
    PipelineTally tally = null;
    ScheduledExecutorService monitor = Executors.newSingleThreadScheduledExecutor();
    // a soak stopped with Ctrl-C or SIGTERM takes its processes with it
    Thread reaper =
        new Thread(
            () -> {
              for (Child c : children) {
                if (c.process != null) {
                  c.process.destroyForcibly();
                }
              }
              cameras.forEach(FfmpegSender::destroy);
            },
            "chaos-soak-reaper");
    Runtime.getRuntime().addShutdownHook(reaper);
    boolean drained = false;
    boolean webAnswers = false;
    try (TcpCutProxy database = new TcpCutProxy("127.0.0.1", 5432)) {
      Child broker =
          new Child(
              "broker",
              List.of("-Xmx768m"),
              List.of(
                  "broker",
                  "--port",
                  Integer.toString(brokerPort),
                  "--controller-port",
                  Integer.toString(controllerPort),
                  "--data-dir",
                  work.resolve("kafka").toString()));
      children.add(broker);
      startBroker(broker, brokerPort);

      List<String> ingestArgs = new ArrayList<>(List.of("ingest"));
      for (int i = 1; i <= settings.cameras(); i++) {
        int port = freeUdpPort();
        cameraPorts.add(port);
        ingestArgs.addAll(List.of("--camera", "cam-" + i + "=udp://127.0.0.1:" + port));
      }
      ingestArgs.addAll(
          List.of(
              "--fps",
              Double.toString(settings.fps()),
              "--max-width",
              "320",
              "--metrics-port",
              "-1",
              "--status-interval",
              "60",
              "--bootstrap",
              bootstrap));
      Child ingest = new Child("ingest", List.of("-Xmx384m"), ingestArgs);
      Child detector =
          new Child(
              "detect",
              List.of("-Xmx1g"),
              List.of(
                  "detect",
                  "--model",
                  model.toString(),
                  "--device",
                  "cpu",
                  "--mode",
                  "complete",
                  "--score-threshold",
                  "0.3",
                  "--bootstrap",
                  bootstrap,
                  "--kafka-config",
                  detectorConfig.toString()));
      Child web =
          sinkChild(
              sinkConfig,
              "web",
              "--host",
              "127.0.0.1",
              "--port",
              Integer.toString(webPort),
              "--bootstrap",
              bootstrap);
      Child postgres =
          sinkChild(
              sinkConfig,
              "postgres",
              "--jdbc-url",
              "jdbc:postgresql://127.0.0.1:" + database.port() + "/test",
              "--db-user",
              "postgres",
              "--db-schema",
              schema,
              "--max-retry-backoff",
              "5s",
              "--metrics-port",
              "-1",
              "--bootstrap",
              bootstrap);
      Child jsonl =
          sinkChild(
              sinkConfig,
              "jsonl",
              "--dir",
              jsonlDir.toString(),
              "--metrics-port",
              "-1",
              "--bootstrap",
              bootstrap);
      List<Child> sinks = List.of(jsonl, postgres, web); // killed in this order
      for (Child c : List.of(detector, web, postgres, jsonl, ingest)) {
        children.add(c);
        c.start();
      }
      for (int i = 0; i < settings.cameras(); i++) {
        cameras.add(
            FfmpegSender.udp(
                    clip, cameraPorts.get(i), work.resolve("ffmpeg-cam-" + (i + 1) + ".log"))
                .start());
      }
      tally = new PipelineTally(bootstrap, TopicNames.DEFAULTS);
      tally.start();
      PipelineTally counting = tally;
      monitor.scheduleWithFixedDelay(
          () -> watch(children, cameras), SAMPLE_MS, SAMPLE_MS, TimeUnit.MILLISECONDS);
      say(
          "running %s: %d cameras at %s fps, a fault every %d s; work folder %s",
          settings.duration(),
          settings.cameras(),
          settings.fps(),
          settings.faultInterval().toSeconds(),
          work);

      long end = System.currentTimeMillis() + settings.duration().toMillis();
      int round = 0;
      // every kind of fault at least once, however slowly they go on a busy machine
      while (System.currentTimeMillis() + settings.faultInterval().toMillis() <= end
          || round < Fault.values().length) {
        Thread.sleep(settings.faultInterval().toMillis());
        Fault fault = Fault.values()[round % Fault.values().length];
        int nth = round / Fault.values().length; // how many of this kind came before
        inject(fault, nth, broker, brokerPort, detector, sinks, database, cameras);
        faults.merge(fault, 1, Integer::sum);
        round++;
        say(
            "%s (frames in so far %d)",
            fault.text,
            counting.cameras().stream().mapToInt(PipelineTally.CameraCounts::framesIn).sum());
      }
      Thread.sleep(Math.max(0, end - System.currentTimeMillis()));

      // the cameras stop, ingest stops cleanly (its last frames sent), then everything drains
      say("run over: stopping the cameras and ingest, draining");
      synchronized (cameras) {
        for (int i = 0; i < cameras.size(); i++) {
          dropping.add(i);
          cameras.get(i).stop();
        }
      }
      ingest.stop(Duration.ofSeconds(60));
      long drainUntil = System.currentTimeMillis() + settings.drainTimeout().toMillis();
      int stable = 0;
      int drainRounds = 0;
      long lastRecords = -1;
      while (System.currentTimeMillis() < drainUntil) {
        Thread.sleep(2000);
        long records = counting.records();
        boolean sinksDone =
            counting.pending() == 0
                && missingRows(counting.detectionKeys()) == 0
                && missingLines(jsonlDir, counting.detectionKeys()) == 0;
        stable = records == lastRecords ? stable + 1 : 0;
        lastRecords = records;
        if (sinksDone && stable >= 3) {
          drained = true;
          break;
        }
        if (++drainRounds % 15 == 0) {
          say(
              "draining: %d frames without events, %d without their PostgreSQL row, %d without"
                  + " their JSONL line",
              counting.pending(),
              missingRows(counting.detectionKeys()),
              missingLines(jsonlDir, counting.detectionKeys()));
        }
      }
      webAnswers = answers("http://127.0.0.1:" + webPort + "/");
      say(drained ? "drained" : "not drained within %s", settings.drainTimeout());
      monitor.shutdownNow();
      monitor.awaitTermination(10, TimeUnit.SECONDS);
      for (Child c : List.of(web, postgres, jsonl, detector, broker)) {
        c.stop(Duration.ofSeconds(60));
      }
    } finally {
      monitor.shutdownNow();
      for (FfmpegSender camera : cameras) {
        camera.close();
      }
      for (Child c : children) {
        c.kill();
      }
      if (tally != null) {
        tally.close();
      }
      Runtime.getRuntime().removeShutdownHook(reaper);
    }
    Report report = report(tally, jsonlDir, children, drained, webAnswers);
    writeSamples(children);
    return report;
  }

  /** Every RSS and thread sample, {@code memory.csv} in the work folder, for a closer look. */
  private void writeSamples(List<Child> children) throws IOException {
    List<String> lines =
        new ArrayList<>(List.of("part,seconds,rss_mb,threads,rss_anon_mb,rss_file_mb"));
    for (Child c : children) {
      synchronized (c) {
        for (long[] sample : c.samples) {
          lines.add(
              String.format(
                  Locale.ROOT,
                  "%s,%d,%d,%d,%d,%d",
                  c.name,
                  sample[0] / 1000,
                  sample[1] / 1024,
                  sample[2],
                  sample[3] / 1024,
                  sample[4] / 1024));
        }
      }
    }
    Files.write(work.resolve("memory.csv"), lines, StandardCharsets.UTF_8);
  }

  private void inject(
      Fault fault,
      int nth,
      Child broker,
      int brokerPort,
      Child detector,
      List<Child> sinks,
      TcpCutProxy database,
      List<FfmpegSender> cameras)
      throws Exception {
    switch (fault) {
      case BROKER_RESTART:
        if (nth % 2 == 0) {
          broker.stop(Duration.ofSeconds(60));
        } else {
          broker.kill();
        }
        Thread.sleep(3000);
        startBroker(broker, brokerPort);
        break;
      case DETECTOR_KILL:
        detector.kill();
        Thread.sleep(2000);
        detector.start();
        break;
      case SINK_KILL:
        Child sink = sinks.get(nth % sinks.size());
        sink.kill();
        Thread.sleep(2000);
        sink.start();
        break;
      case DATABASE_CUT:
        database.cut();
        Thread.sleep(10_000);
        database.restore();
        break;
      case CAMERA_DROP:
        int dropped = nth % cameras.size();
        synchronized (cameras) {
          dropping.add(dropped);
          cameras.get(dropped).kill();
        }
        Thread.sleep(10_000);
        synchronized (cameras) {
          cameras.get(dropped).start();
          dropping.remove(dropped);
        }
        break;
      default:
        throw new IllegalStateException("no such fault " + fault);
    }
  }

  /**
   * Samples every child, and starts again one that exited without being told; so too a camera's
   * ffmpeg (outside a drop), which counts as a camera that went away.
   */
  private void watch(List<Child> children, List<FfmpegSender> cameras) {
    synchronized (cameras) {
      for (int i = 0; i < cameras.size(); i++) {
        try {
          if (!dropping.contains(i) && cameras.get(i).startIfExited()) {
            streamRestarts++;
            say("the ffmpeg of cam-%d had exited: started again", i + 1);
          }
        } catch (IOException e) {
          say("starting the ffmpeg of cam-%d: %s", i + 1, e);
        }
      }
    }
    long t = System.currentTimeMillis() - t0;
    for (Child c : children) {
      try {
        String exit = c.restartIfExited();
        if (exit != null) {
          unexpectedExits.add(exit);
          say("UNEXPECTED: %s; started again", exit);
        }
        c.sample(t);
      } catch (Exception e) {
        say("watching %s: %s", c.name, e);
      }
    }
  }

  /** How often the broker printed its ready line so far. */
  private static int readyLines(Child broker, int port) throws IOException {
    String ready = "maskstream broker: Kafka at 127.0.0.1:" + port;
    String text =
        Files.exists(broker.log) ? Files.readString(broker.log, StandardCharsets.UTF_8) : "";
    int count = 0;
    for (int i = text.indexOf(ready); i >= 0; i = text.indexOf(ready, i + 1)) {
      count++;
    }
    return count;
  }

  /**
   * Starts the broker and waits until it printed its ready line once more; a broker that exits
   * while it starts counts as an unexpected exit and is started again (three times at most).
   */
  private void startBroker(Child broker, int port) throws Exception {
    int before = readyLines(broker, port);
    broker.start();
    long deadline = System.currentTimeMillis() + 180_000;
    int retries = 0;
    while (System.currentTimeMillis() < deadline) {
      if (readyLines(broker, port) > before) {
        return;
      }
      String exit = broker.restartIfExited();
      if (exit != null) {
        unexpectedExits.add(exit);
        say("UNEXPECTED: %s; started again", exit);
        if (++retries > 3) {
          throw new IllegalStateException("the broker does not start: see " + broker.log);
        }
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException("the broker did not start within 3 minutes: see " + broker.log);
  }

  private Path clip() throws IOException {
    Path dir = work.resolve("clip");
    // what 'maskstream shapes --video 300' writes (moving shapes at 320x240), played at twice the
    // cameras' rate: the frames ingest keeps are two clip frames apart, near enough for tracking
    ShapesConfig d = ShapesConfig.defaults();
    ShapesConfig slow =
        new ShapesConfig(
            d.minSide(),
            d.maxSide(),
            d.minObjects(),
            d.maxObjects(),
            d.minVisiblePixels(),
            d.videoWidth(),
            d.videoHeight(),
            2 * settings.fps());
    new ShapesGenerator(slow).writeClip(dir, 300, 11);
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(p -> p.getFileName().toString().startsWith("clip."))
          .findFirst()
          .orElseThrow(() -> new IOException("no clip written in " + dir));
    }
  }

  // ------------------------------------------------------------------ counting the sinks

  private Connection database() throws SQLException {
    return DriverManager.getConnection(JDBC_BASE, "postgres", "");
  }

  /** Frames with detections events that have no row in PostgreSQL's frames table yet. */
  private int missingRows(Map<String, Set<String>> keys) {
    Map<String, Set<String>> rows = postgresFrames();
    int missing = 0;
    for (var e : keys.entrySet()) {
      Set<String> have = rows.getOrDefault(e.getKey(), Set.of());
      for (String key : e.getValue()) {
        if (!have.contains(key)) {
          missing++;
        }
      }
    }
    return missing;
  }

  private Map<String, Set<String>> postgresFrames() {
    Map<String, Set<String>> rows = new TreeMap<>();
    try (Connection c = database();
        Statement s = c.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT camera, sequence, model_version FROM \"" + schema + "\".frames")) {
      while (r.next()) {
        rows.computeIfAbsent(r.getString(1), k -> new TreeSet<>())
            .add(r.getLong(2) + "/" + r.getString(3));
      }
    } catch (SQLException e) {
      // the sink has not created its tables yet
    }
    return rows;
  }

  private List<SinkCounts> postgresCounts(Map<String, Set<String>> keys) throws SQLException {
    Map<String, long[]> byCamera = new TreeMap<>(); // rows, distinct, detections, masks
    try (Connection c = database();
        Statement s = c.createStatement()) {
      String q = "\"" + schema + "\".";
      try (ResultSet r =
          s.executeQuery(
              "SELECT camera, count(*), count(DISTINCT (sequence, model_version)) FROM "
                  + q
                  + "frames GROUP BY camera")) {
        while (r.next()) {
          long[] v = byCamera.computeIfAbsent(r.getString(1), k -> new long[6]);
          v[0] = r.getLong(2);
          v[1] = r.getLong(3);
        }
      }
      for (String table : List.of("detections", "masks")) {
        try (ResultSet r =
            s.executeQuery(
                "SELECT camera, count(*), count(DISTINCT (sequence, model_version,"
                    + " detection_index)) FROM "
                    + q
                    + table
                    + " GROUP BY camera")) {
          while (r.next()) {
            long[] v = byCamera.computeIfAbsent(r.getString(1), k -> new long[6]);
            int at = table.equals("detections") ? 2 : 4;
            v[at] = r.getLong(2);
            v[at + 1] = r.getLong(3);
          }
        }
      }
    }
    Map<String, Set<String>> rows = postgresFrames();
    List<SinkCounts> out = new ArrayList<>();
    Set<String> cameras = new TreeSet<>(keys.keySet());
    cameras.addAll(byCamera.keySet());
    for (String camera : cameras) {
      long[] v = byCamera.getOrDefault(camera, new long[6]);
      Set<String> have = rows.getOrDefault(camera, Set.of());
      int missing =
          (int) keys.getOrDefault(camera, Set.of()).stream().filter(k -> !have.contains(k)).count();
      int duplicates = (int) ((v[0] - v[1]) + (v[2] - v[3]) + (v[4] - v[5]));
      out.add(new SinkCounts(camera, (int) v[0], duplicates, missing, v[2], v[4]));
    }
    return out;
  }

  /** The JSONL lines: frame key per camera with how often it was written. */
  private record Lines(
      Map<String, Map<String, Integer>> keys,
      Map<String, long[]> sizes,
      int torn,
      int withoutMasks) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private static Lines lines(Path dir) {
    Map<String, Map<String, Integer>> keys = new TreeMap<>();
    Map<String, long[]> sizes = new TreeMap<>();
    int torn = 0;
    int withoutMasks = 0;
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList()) {
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
          if (line.isBlank()) {
            continue;
          }
          JsonNode n;
          try {
            n = JSON.readTree(line);
          } catch (IOException e) {
            torn++;
            continue;
          }
          String camera = n.path("camera").asText();
          String key = n.path("sequence").asLong() + "/" + n.path("model").path("version").asText();
          int count =
              keys.computeIfAbsent(camera, c -> new HashMap<>()).merge(key, 1, Integer::sum);
          if (count == 1) {
            long[] s = sizes.computeIfAbsent(camera, c -> new long[2]);
            JsonNode detections = n.path("detections");
            s[0] += detections.size();
            for (JsonNode d : detections) {
              if (d.has("segmentation")) {
                s[1]++;
              }
            }
          }
          if (n.path("masks_missing").asBoolean(false)) {
            withoutMasks++;
          }
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return new Lines(keys, sizes, torn, withoutMasks);
  }

  private static int missingLines(Path dir, Map<String, Set<String>> keys) {
    Lines lines = lines(dir);
    int missing = 0;
    for (var e : keys.entrySet()) {
      Map<String, Integer> have = lines.keys().getOrDefault(e.getKey(), Map.of());
      for (String key : e.getValue()) {
        if (!have.containsKey(key)) {
          missing++;
        }
      }
    }
    return missing;
  }

  private static List<SinkCounts> jsonlCounts(Lines lines, Map<String, Set<String>> keys) {
    List<SinkCounts> out = new ArrayList<>();
    Set<String> cameras = new TreeSet<>(keys.keySet());
    cameras.addAll(lines.keys().keySet());
    for (String camera : cameras) {
      Map<String, Integer> have = lines.keys().getOrDefault(camera, Map.of());
      int total = have.values().stream().mapToInt(Integer::intValue).sum();
      int missing =
          (int)
              keys.getOrDefault(camera, Set.of()).stream()
                  .filter(k -> !have.containsKey(k))
                  .count();
      long[] s = lines.sizes().getOrDefault(camera, new long[2]);
      out.add(new SinkCounts(camera, total, total - have.size(), missing, s[0], s[1]));
    }
    return out;
  }

  private void dropSchema() {
    try (Connection c = database();
        Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
    } catch (SQLException e) {
      say("could not drop schema %s: %s", schema, e.getMessage());
    }
  }

  private static boolean answers(String url) {
    try {
      HttpResponse<Void> r =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                  HttpResponse.BodyHandlers.discarding());
      return r.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private Report report(
      PipelineTally tally, Path jsonlDir, List<Child> children, boolean drained, boolean web)
      throws SQLException {
    Map<String, Set<String>> keys = tally.detectionKeys();
    Lines lines = lines(jsonlDir);
    List<Usage> usage = new ArrayList<>();
    for (Child c : children) {
      usage.add(c.usage());
    }
    return new Report(
        settings,
        Duration.ofMillis(System.currentTimeMillis() - t0),
        new EnumMap<>(faults),
        tally.cameras(),
        postgresCounts(keys),
        jsonlCounts(lines, keys),
        lines.torn(),
        lines.withoutMasks(),
        tally.deadLetters(),
        tally.tracksWithSeveralNews(),
        tally.tracks(),
        List.copyOf(unexpectedExits),
        usage,
        streamRestarts,
        drained,
        web);
  }

  /** The report as the tables the README shows. */
  static String table(Report r) {
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "chaos soak: %d min run (%d min with the drain), %d cameras at %s fps, a fault every %d"
                + " s%n",
            r.settings().duration().toMinutes(),
            r.ran().toMinutes(),
            r.settings().cameras(),
            r.settings().fps(),
            r.settings().faultInterval().toSeconds()));
    List<String> injected = new ArrayList<>();
    r.faults().forEach((f, n) -> injected.add(f.text + " x" + n));
    out.append("faults: ").append(String.join(", ", injected)).append('\n');
    out.append(
        String.format(
            "unexpected exits: %d%s; camera streams that ended by themselves: %d; drained: %s; web"
                + " view answering at the end: %s%n%n",
            r.unexpectedExits().size(),
            r.unexpectedExits().isEmpty() ? "" : " " + r.unexpectedExits(),
            r.streamRestarts(),
            r.drained() ? "yes" : "NO",
            r.webAnswers() ? "yes" : "NO"));
    out.append(
        "| camera | frames in | frames with events | lost | duplicate events | dead letters |"
            + " PostgreSQL frame rows | detection / mask rows | duplicate rows | missing rows |"
            + " JSONL lines | duplicate lines | missing lines |\n");
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    Map<String, SinkCounts> pg = new HashMap<>();
    r.postgres().forEach(s -> pg.put(s.camera(), s));
    Map<String, SinkCounts> js = new HashMap<>();
    r.jsonl().forEach(s -> js.put(s.camera(), s));
    long[] total = new long[14];
    for (PipelineTally.CameraCounts c : r.cameras()) {
      SinkCounts p = pg.getOrDefault(c.camera(), new SinkCounts(c.camera(), 0, 0, 0, 0, 0));
      SinkCounts j = js.getOrDefault(c.camera(), new SinkCounts(c.camera(), 0, 0, 0, 0, 0));
      long[] row = {
        c.framesIn(),
        c.framesWithEvents(),
        c.lost(),
        c.duplicateEvents() + c.frameDuplicates(),
        c.deadLettered(),
        p.frames(),
        p.detections(),
        p.masks(),
        p.duplicates(),
        p.missing(),
        j.frames(),
        j.duplicates(),
        j.missing()
      };
      for (int i = 0; i < row.length; i++) {
        total[i] += row[i];
      }
      out.append(row(c.camera(), row));
    }
    out.append(row("all", total));
    out.append(
        String.format(
            "%nevents: %,d detections and %,d masks in %,d frames; %d tracks, %d with more than one"
                + " NEW event; JSONL: %d torn lines, %d lines written without their masks%n",
            r.cameras().stream().mapToLong(PipelineTally.CameraCounts::detections).sum(),
            r.cameras().stream().mapToLong(PipelineTally.CameraCounts::masks).sum(),
            r.cameras().stream().mapToInt(PipelineTally.CameraCounts::framesWithEvents).sum(),
            r.tracks(),
            r.tracksWithSeveralNews().size(),
            r.jsonlTornLines(),
            r.jsonlWithoutMasks()));
    Map<String, Integer> reasons = new LinkedHashMap<>();
    for (PipelineTally.DeadLetterSummary d : r.deadLetters()) {
      String reason = d.reason().length() > 100 ? d.reason().substring(0, 100) + "..." : d.reason();
      reasons.merge(d.stage() + ": " + reason, 1, Integer::sum);
    }
    out.append("dead letters: ").append(r.deadLetters().size()).append('\n');
    reasons.forEach(
        (reason, n) -> out.append("  ").append(n).append(" x ").append(reason).append('\n'));
    out.append(
        "\n| part | starts | RSS start / max / end (MB) | of it anonymous / file max (MB) | heap"
            + " after GC, 2nd / 4th quarter max (MB) | threads start / max / end | memory |\n");
    out.append("|---|---|---|---|---|---|---|\n");
    for (Usage u : r.usage()) {
      out.append(
          String.format(
              "| %s | %d | %d / %d / %d | %d / %d | %d / %d | %d / %d / %d | %s |%n",
              u.part(),
              u.starts(),
              u.rssStartMb(),
              u.rssMaxMb(),
              u.rssEndMb(),
              u.anonMaxMb(),
              u.fileMaxMb(),
              u.heapQ2Mb(),
              u.heapQ4Mb(),
              u.threadsStart(),
              u.threadsMax(),
              u.threadsEnd(),
              u.flat() ? "flat" : "GROWING"));
    }
    return out.toString();
  }

  private static String row(String name, long[] v) {
    return String.format(
        Locale.ROOT,
        "| %s | %,d | %,d | %d | %d | %d | %,d | %,d / %,d | %d | %d | %,d | %d | %d |%n",
        name,
        v[0],
        v[1],
        v[2],
        v[3],
        v[4],
        v[5],
        v[6],
        v[7],
        v[8],
        v[9],
        v[10],
        v[11],
        v[12]);
  }

  private void say(String format, Object... args) {
    long s = (System.currentTimeMillis() - t0) / 1000;
    log.printf(Locale.ROOT, "[chaos %02d:%02d] %s%n", s / 60, s % 60, String.format(format, args));
    log.flush();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static int freeUdpPort() throws IOException {
    try (java.net.DatagramSocket s = new java.net.DatagramSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** {@code sink KIND options...} as the sink role, in 384 MB of heap. */
  private Child sinkChild(Path sinkConfig, String kind, String... options) {
    List<String> args = new ArrayList<>(List.of("sink", kind));
    args.addAll(List.of(options));
    args.addAll(List.of("--kafka-config", sinkConfig.toString()));
    return new Child("sink " + kind, List.of("-Xmx384m"), args);
  }

  // ------------------------------------------------------------------ child processes

  /**
   * One part of the pipeline: a {@code maskstream} command that can be killed and started again.
   */
  private final class Child {
    final String name;
    final List<String> jvm;
    final List<String> args;
    final Path log;
    // ms since start, RSS KiB, threads, anonymous RSS KiB, file-backed RSS KiB
    final List<long[]> samples = new ArrayList<>();
    Process process;
    boolean down; // stopped or killed on purpose, not yet started again
    int starts;

    Child(String name, List<String> jvm, List<String> args) {
      this.name = name;
      this.jvm = jvm;
      this.args = args;
      this.log = work.resolve(name.replace(' ', '-') + ".log");
    }

    /** Each life's GC log: the heap after every collection, with the wall time. */
    String gcLogPrefix() {
      return name.replace(' ', '-') + "-gc-";
    }

    /** Heap after each collection over all lives: ms since the soak's start, MB. */
    List<long[]> heapAfterGc() {
      List<long[]> points = new ArrayList<>();
      try (var files = Files.list(work)) {
        for (Path f :
            files.filter(f -> f.getFileName().toString().startsWith(gcLogPrefix())).toList()) {
          for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
            Matcher m = GC_LINE.matcher(line);
            if (m.find()) {
              points.add(new long[] {Long.parseLong(m.group(1)) - t0, Long.parseLong(m.group(2))});
            }
          }
        }
      } catch (IOException e) {
        say("reading the GC logs of %s: %s", name, e);
      }
      points.sort(java.util.Comparator.comparingLong(p -> p[0]));
      return points;
    }

    synchronized void start() throws IOException {
      Files.writeString(
          log,
          "---- start " + (starts + 1) + " at " + Instant.now() + "\n",
          StandardCharsets.UTF_8,
          java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
      List<String> options = new ArrayList<>(jvm);
      // the product's logging, not the test classpath's logback-test.xml files
      options.add("-Dlogback.configurationFile=logback.xml");
      options.add("-Xlog:gc:file=" + work.resolve(gcLogPrefix() + "%p.log") + ":timemillis");
      process = MaskstreamProcess.start(log, options, args);
      starts++;
      down = false;
    }

    synchronized void kill() throws InterruptedException {
      down = true;
      if (process != null && process.isAlive()) {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
      }
    }

    synchronized void stop(Duration timeout) throws InterruptedException {
      down = true;
      if (process != null && process.isAlive()) {
        process.destroy();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          unexpectedExits.add(name + " did not stop within " + timeout + " of SIGTERM");
          process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
      }
    }

    /**
     * Null while it runs or was stopped on purpose; else what its exit looked like, and it is
     * started again.
     */
    synchronized String restartIfExited() throws IOException {
      if (down || process == null || process.isAlive()) {
        return null;
      }
      String exit = name + " exited with " + process.exitValue() + ": " + tail(log, 3);
      start();
      return exit;
    }

    synchronized void sample(long t) {
      if (down || process == null || !process.isAlive()) {
        return;
      }
      try {
        ProcStatus s = ProcStatus.read(process.pid());
        samples.add(new long[] {t, s.rssKb(), s.threads(), s.rssAnonKb(), s.rssFileKb()});
      } catch (IOException e) {
        // it just exited: the next check sees it
      }
    }

    /**
     * RSS, heap and threads over the run. Flat when the highest heap after a collection in the last
     * quarter of the run is at most 10% (and 32 MB) above the highest of its second quarter, and
     * the threads at most 5 above: each quarter then holds whole lives of a part that is restarted,
     * and the first quarter (warm-up, the JIT, heaps growing to their working size) is left out.
     * The heap after a collection, not the RSS, because a JVM's RSS follows the heap it has
     * committed, which G1 grows towards -Xmx as it likes and rarely gives back; a leak shows as
     * live data the collections cannot free. A part without GC log lines is judged on its RSS.
     */
    synchronized Usage usage() {
      if (samples.isEmpty()) {
        return new Usage(name, starts, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, true);
      }
      long last = samples.get(samples.size() - 1)[0];
      long q2rss = 0;
      long q4rss = 0;
      long q2threads = 0;
      long q4threads = 0;
      long maxRss = 0;
      long maxThreads = 0;
      long maxAnon = 0;
      long maxFile = 0;
      for (long[] s : samples) {
        maxAnon = Math.max(maxAnon, s[3]);
        maxFile = Math.max(maxFile, s[4]);
        maxRss = Math.max(maxRss, s[1]);
        maxThreads = Math.max(maxThreads, s[2]);
        if (s[0] >= last / 4 && s[0] < last / 2) {
          q2rss = Math.max(q2rss, s[1]);
          q2threads = Math.max(q2threads, s[2]);
        } else if (s[0] >= last * 3 / 4) {
          q4rss = Math.max(q4rss, s[1]);
          q4threads = Math.max(q4threads, s[2]);
        }
      }
      List<long[]> heap = heapAfterGc();
      long q2heap = heapIn(heap, last / 4, last / 2);
      long q4heap = heapIn(heap, last * 3 / 4, Long.MAX_VALUE);
      boolean memoryFlat =
          q2heap > 0 && q4heap > 0
              ? q4heap <= Math.max(q2heap * 11 / 10, q2heap + 32)
              : q4rss <= Math.max(q2rss * 11 / 10, q2rss + 32 * 1024);
      boolean flat = memoryFlat && q4threads <= q2threads + 5;
      long[] first = samples.get(0);
      long[] end = samples.get(samples.size() - 1);
      return new Usage(
          name,
          starts,
          first[1] / 1024,
          maxRss / 1024,
          end[1] / 1024,
          (int) first[2],
          (int) maxThreads,
          (int) end[2],
          maxAnon / 1024,
          maxFile / 1024,
          q2heap,
          q4heap,
          flat);
    }
  }

  /**
   * The highest heap after a collection from {@code from} (inclusive) to {@code to}; in a stretch
   * without a collection, the heap after the last one before it (what was live then still is, as
   * far as anyone measured); 0 when no collection came before {@code to}.
   */
  static long heapIn(List<long[]> afterGc, long from, long to) {
    long highest = 0;
    long before = 0;
    for (long[] h : afterGc) {
      if (h[0] < from) {
        before = h[1];
      } else if (h[0] < to) {
        highest = Math.max(highest, h[1]);
      }
    }
    return highest > 0 ? highest : before;
  }

  private static String tail(Path file, int lines) {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      long from = Math.max(0, f.length() - 4096);
      f.seek(from);
      byte[] bytes = new byte[(int) (f.length() - from)];
      f.readFully(bytes);
      List<String> all = new String(bytes, StandardCharsets.UTF_8).lines().toList();
      return String.join(" | ", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }
}
