package io.maskstream.sinks.bench;

import io.maskstream.broker.EmbeddedKafka;
import io.maskstream.broker.testing.MetricsScrape;
import io.maskstream.broker.testing.ProcStat;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.Topics;
import io.maskstream.schemas.avro.Box;
import io.maskstream.schemas.avro.Detection;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.Frame;
import io.maskstream.schemas.avro.FrameRef;
import io.maskstream.schemas.avro.ImageEncoding;
import io.maskstream.schemas.avro.InstanceMask;
import io.maskstream.schemas.avro.Masks;
import io.maskstream.schemas.avro.ModelRef;
import io.maskstream.schemas.avro.Rle;
import io.maskstream.schemas.avro.Timings;
import io.maskstream.schemas.rle.CocoRle;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Throughput and CPU figures of the sinks on this machine. Each sink runs as its own process
 * ({@code maskstream sink ...} through {@link RunSink}) against an embedded broker in this one:
 *
 * <ul>
 *   <li>{@code jsonl N} / {@code postgres N}: N frames of events (detections with 3 instances +
 *       their 640x480 masks) are put on the topics first, then the sink is started and timed until
 *       it has consumed them all; prints records/s and frames/s.
 *   <li>{@code web N}: the live view starts near the end of the topics, so it is started first (the
 *       topics already exist) and, once it holds its partitions, N frames (640x480 JPEG frame,
 *       detections, masks) are produced as fast as the producer goes; prints records (events) read
 *       per second from the first one produced until all are in.
 *   <li>{@code web-cpu CAMERAS FPS SECONDS}: live feed at CAMERAS x FPS (frame + detections + masks
 *       per frame) with one browser-like SSE client reading every update; prints the sink process's
 *       CPU (% of one core) and resident memory over the run.
 * </ul>
 */
public final class SinkBenchmark {
  private static final TopicNames TOPICS = TopicNames.DEFAULTS;
  private static final int W = 640;
  private static final int H = 480;

  private SinkBenchmark() {}

  public static void main(String[] args) throws Exception {
    String mode = args.length > 0 ? args[0] : "jsonl";
    Path work = Files.createTempDirectory("maskstream-bench");
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(work.resolve("kafka")).build()) {
      kafka.start();
      Properties admin = new Properties();
      admin.put("bootstrap.servers", kafka.bootstrapServers());
      try (Admin a = Admin.create(admin)) {
        Topics.ensure(a, Topics.specs(TOPICS, 4), Duration.ofSeconds(60));
      }
      switch (mode) {
        case "jsonl", "postgres" ->
            throughput(mode, kafka.bootstrapServers(), work, intArg(args, 1, 5000));
        case "web" -> webThroughput(kafka.bootstrapServers(), work, intArg(args, 1, 5000));
        case "web-cpu" ->
            webCpu(
                kafka.bootstrapServers(),
                intArg(args, 1, 8),
                intArg(args, 2, 15),
                intArg(args, 3, 60));
        default -> throw new IllegalArgumentException("mode: jsonl|postgres|web|web-cpu");
      }
    }
  }

  private static int intArg(String[] args, int i, int fallback) {
    return args.length > i ? Integer.parseInt(args[i]) : fallback;
  }

  /** Produces frames and events of the given cameras; returns records sent. */
  static final class Feed implements AutoCloseable {
    final KafkaProducer<byte[], byte[]> producer;
    final AvroSerde<Frame> frames = new AvroSerde<>(Frame.class);
    final AvroSerde<Detections> detections = new AvroSerde<>(Detections.class);
    final AvroSerde<Masks> masks = new AvroSerde<>(Masks.class);
    final List<byte[]> jpegs = new ArrayList<>();
    final String[] rles = new String[3];

    Feed(String bootstrap) throws Exception {
      Properties p = new Properties();
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
      p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
      p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 * 1024 * 1024);
      producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
      for (int i = 0; i < 8; i++) {
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setPaint(
            new GradientPaint(0, 0, Color.getHSBColor(i / 8f, 0.6f, 0.9f), W, H, Color.DARK_GRAY));
        g.fillRect(0, 0, W, H);
        g.setColor(Color.WHITE);
        g.fillOval(100 + 20 * i, 100, 200, 150);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "jpg", out);
        jpegs.add(out.toByteArray());
      }
      for (int k = 0; k < 3; k++) {
        byte[] m = new byte[W * H];
        int cx = 120 + 180 * k;
        int cy = 240;
        for (int y = 0; y < H; y++) {
          for (int x = 0; x < W; x++) {
            double dx = (x - cx) / 80.0;
            double dy = (y - cy) / 140.0;
            m[y * W + x] = (byte) (dx * dx + dy * dy <= 1 ? 1 : 0);
          }
        }
        rles[k] = CocoRle.encodeRowMajor(m, H, W).toCompressedString();
      }
    }

    int send(String camera, long seq, Instant capture, boolean withFrame) {
      byte[] key = camera.getBytes(StandardCharsets.UTF_8);
      FrameRef ref = new FrameRef(camera, seq, capture, W, H);
      ModelRef model = new ModelRef("maskrcnn", "bench01");
      int n = 0;
      if (withFrame) {
        Frame f =
            new Frame(
                camera,
                seq,
                capture,
                W,
                H,
                ImageEncoding.JPEG,
                ByteBuffer.wrap(jpegs.get((int) (seq % jpegs.size()))),
                null);
        producer.send(
            new ProducerRecord<>(TOPICS.frames(), key, frames.serialize(TOPICS.frames(), f)));
        n++;
      }
      List<Detection> ds = new ArrayList<>();
      List<InstanceMask> ms = new ArrayList<>();
      for (int k = 0; k < 3; k++) {
        float x = 40 + 180 * k;
        ds.add(
            new Detection(
                k + 1,
                k == 0 ? "person" : "car",
                0.9f - 0.1f * k,
                new Box(x, 100f, x + 160, 380f),
                (long) (k + 1),
                null));
        ms.add(new InstanceMask(k, new Rle(H, W, rles[k])));
      }
      Detections d =
          new Detections(
              ref, model, new Timings(1f, 2f, 60f, 5f, Instant.now()), ds, List.of(), List.of());
      producer.send(
          new ProducerRecord<>(
              TOPICS.detections(), key, detections.serialize(TOPICS.detections(), d)));
      producer.send(
          new ProducerRecord<>(
              TOPICS.masks(), key, masks.serialize(TOPICS.masks(), new Masks(ref, model, ms))));
      return n + 2;
    }

    @Override
    public void close() {
      producer.close();
    }
  }

  private static Process startSink(List<String> args, Path log) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx512m");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(RunSink.class.getName());
    cmd.addAll(args);
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  private static void throughput(String sink, String bootstrap, Path work, int frames)
      throws Exception {
    int records = feed(bootstrap, frames, false);
    String schema = "bench_" + Long.toHexString(System.nanoTime());
    Path out = work.resolve("jsonl");
    List<String> args = new ArrayList<>(List.of(sink, "--bootstrap", bootstrap));
    switch (sink) {
      case "jsonl" -> args.addAll(List.of("--dir", out.toString(), "--metrics-port", "-1"));
      default ->
          args.addAll(
              List.of(
                  "--jdbc-url",
                  "jdbc:postgresql://127.0.0.1:5432/test",
                  "--db-user",
                  "postgres",
                  "--db-schema",
                  schema,
                  "--metrics-port",
                  "-1"));
    }
    long start = System.nanoTime();
    Process p = startSink(args, work.resolve(sink + ".log"));
    try {
      long done = 0;
      long firstAt = 0;
      long firstDone = 0;
      while (done < frames) {
        Thread.sleep(200);
        if (!p.isAlive()) {
          throw new IllegalStateException("sink exited: see " + work.resolve(sink + ".log"));
        }
        done = sink.equals("jsonl") ? jsonlLines(out) : pgFrames(schema);
        if (firstAt == 0 && done > 0) {
          firstAt = System.nanoTime();
          firstDone = done;
        }
      }
      double steady = (System.nanoTime() - firstAt) / 1e9;
      double perFrame = (double) records / frames;
      System.out.printf(
          "sink %s steady state (from the first frame out): %.0f records/s, %.0f frames/s%n",
          sink, (frames - firstDone) * perFrame / steady, (frames - firstDone) / steady);
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf(
          "sink %s: %d frames (%d records) in %.1f s including process start: %.0f records/s, %.0f"
              + " frames/s%n",
          sink, frames, records, seconds, records / seconds, frames / seconds);
    } finally {
      p.destroy();
      p.waitFor();
      if (sink.equals("postgres")) {
        try (Connection c =
                DriverManager.getConnection(
                    "jdbc:postgresql://127.0.0.1:5432/test", "postgres", null);
            Statement s = c.createStatement()) {
          s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
      }
    }
  }

  private static int feed(String bootstrap, int frames, boolean withFrames) throws Exception {
    int records = 0;
    try (Feed feed = new Feed(bootstrap)) {
      Instant t0 = Instant.now();
      for (int i = 0; i < frames; i++) {
        records += feed.send("cam-" + (i % 8), i / 8, t0.plusMillis(66L * (i / 8)), withFrames);
      }
      feed.producer.flush();
    }
    System.out.printf("fed %d frames = %d records%n", frames, records);
    return records;
  }

  /**
   * The web view starts near the end of the topics, so it is started first and then fed as fast as
   * the producer goes; the figure is records consumed per second until all are in.
   */
  private static void webThroughput(String bootstrap, Path work, int frames) throws Exception {
    int port = 18080 + (int) (System.nanoTime() % 1000);
    Process p =
        startSink(
            List.of("web", "--bootstrap", bootstrap, "--port", Integer.toString(port)),
            work.resolve("web.log"));
    try {
      while (scrape(port).isEmpty()) {
        Thread.sleep(200);
      }
      // until the sink has its partitions (it logs them once positioned)
      while (!Files.readString(work.resolve("web.log")).contains("from near their ends")) {
        Thread.sleep(200);
      }
      Thread.sleep(2000);
      long base = webRecords(port);
      long start = System.nanoTime();
      int records = feed(bootstrap, frames, true);
      long read = 0;
      long lastChange = System.nanoTime();
      while (read < records && System.nanoTime() - lastChange < 20_000_000_000L) {
        Thread.sleep(200);
        long now = webRecords(port) - base;
        if (now != read) {
          read = now;
          lastChange = System.nanoTime();
        }
      }
      if (read < records) {
        System.out.printf("sink web read only %d of %d records%n", read, records);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf(
          "sink web: %d records (%d frames with JPEG 640x480, detections, masks) in %.1f s"
              + " from the first one produced: %.0f records/s, %.0f frames/s; %d updates shown%n",
          records, frames, seconds, records / seconds, frames / seconds, webFrames(port));
    } finally {
      p.destroy();
      p.waitFor();
    }
  }

  private static long webRecords(int port) {
    return (long) MetricsScrape.of(scrape(port)).sum("maskstream_sink_records_total");
  }

  private static long jsonlLines(Path dir) throws Exception {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    long n = 0;
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        try (Stream<String> lines = Files.lines(f)) {
          n += lines.count();
        }
      }
    }
    return n;
  }

  private static long pgFrames(String schema) {
    try (Connection c =
            DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/test", "postgres", null);
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT count(*) FROM " + schema + ".masks")) {
      r.next();
      return r.getLong(1) / 3;
    } catch (java.sql.SQLException e) {
      return 0; // not migrated yet
    }
  }

  private static long webFrames(int port) {
    return (long) MetricsScrape.of(scrape(port)).sum("maskstream_sink_frames_total");
  }

  private static String scrape(int port) {
    try {
      return HttpClient.newHttpClient()
          .send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (Exception e) {
      return "";
    }
  }

  /** One line: seconds since warm-up, process RSS, JVM heap and direct-buffer use (/metrics). */
  private static void printMemorySample(long pid, int port, long second) throws Exception {
    MetricsScrape metrics = MetricsScrape.of(scrape(port));
    System.out.printf(
        "  t=%5d s  RSS %4d MB  heap used %4.0f MB  direct buffers %4.1f MB  threads %3.0f%n",
        second,
        rssKb(pid) / 1024,
        metrics.sum("jvm_memory_used_bytes{area=\"heap\"") / 1e6,
        metrics.sum("jvm_buffer_memory_used_bytes{id=\"direct\"") / 1e6,
        metrics.sum("jvm_threads_live_threads"));
  }

  private static long cpuTicks(long pid) throws Exception {
    return ProcStat.read(Paths.get("/proc", Long.toString(pid), "stat")).cpuTicks();
  }

  private static long rssKb(long pid) throws Exception {
    for (String line : Files.readAllLines(Paths.get("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", ""));
      }
    }
    return -1;
  }

  private static void webCpu(String bootstrap, int cameras, int fps, int seconds) throws Exception {
    int port = 18080 + (int) (System.nanoTime() % 1000);
    Path log = Files.createTempFile("sink-web", ".log");
    Process p =
        startSink(List.of("web", "--bootstrap", bootstrap, "--port", Integer.toString(port)), log);
    AtomicLong received = new AtomicLong();
    try (Feed feed = new Feed(bootstrap)) {
      while (scrape(port).isEmpty()) {
        Thread.sleep(200);
      }
      // curl as the browser-like client: it reads every pushed update as fast as it comes
      Process client =
          new ProcessBuilder(
                  "curl",
                  "-sN",
                  "-H",
                  "Accept: text/event-stream",
                  "http://127.0.0.1:" + port + "/events")
              .redirectErrorStream(true)
              .start();
      Thread reader =
          new Thread(
              () -> {
                try (var lines =
                    new java.io.BufferedReader(
                        new java.io.InputStreamReader(
                            client.getInputStream(), StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = lines.readLine()) != null) {
                    if (line.startsWith("event:")) {
                      received.incrementAndGet();
                    }
                  }
                } catch (java.io.IOException e) {
                  // stream ends with the sink
                }
              });
      reader.setDaemon(true);
      reader.start();
      long hz = 100; // USER_HZ on Linux
      long periodNanos = 1_000_000_000L / fps;
      long start = System.nanoTime();
      long warm = start + 10_000_000_000L;
      long end = warm + seconds * 1_000_000_000L;
      long cpuAtWarm = -1;
      long rssAtWarm = -1;
      long receivedAtWarm = 0;
      long seq = 0;
      long next = start;
      // a memory sample every twelfth of the run (at least every 10 s): flat means no trend
      long sampleEvery = Math.max(10_000_000_000L, seconds * 1_000_000_000L / 12);
      long nextSample = warm;
      while (System.nanoTime() < end) {
        for (int c = 0; c < cameras; c++) {
          feed.send("cam-" + c, seq, Instant.now(), true);
        }
        seq++;
        if (cpuAtWarm < 0 && System.nanoTime() >= warm) {
          cpuAtWarm = cpuTicks(p.pid());
          rssAtWarm = rssKb(p.pid());
          receivedAtWarm = received.get();
        }
        if (System.nanoTime() >= nextSample) {
          printMemorySample(p.pid(), port, (System.nanoTime() - warm) / 1_000_000_000L);
          nextSample += sampleEvery;
        }
        next += periodNanos;
        long sleep = next - System.nanoTime();
        if (sleep > 0) {
          Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
        }
      }
      long cpu = cpuTicks(p.pid()) - cpuAtWarm;
      double cpuSeconds = (double) cpu / hz;
      System.out.printf(
          "sink web, %d cameras x %d fps for %d s (after 10 s warm-up): CPU %.1f%% of one core"
              + " (%.1f s CPU), RSS %d MB -> %d MB, %d updates pushed to one SSE client (%.0f/s)%n",
          cameras,
          fps,
          seconds,
          100.0 * cpuSeconds / seconds,
          cpuSeconds,
          rssAtWarm / 1024,
          rssKb(p.pid()) / 1024,
          received.get() - receivedAtWarm,
          (received.get() - receivedAtWarm) / (double) seconds);
      client.destroy();
    } finally {
      p.destroy();
      p.waitFor();
    }
  }
}
