package io.maskstream.detector.bench;

import io.maskstream.broker.EmbeddedKafka;
import io.maskstream.broker.testing.MetricsScrape;
import io.maskstream.detector.DetectorConfig;
import io.maskstream.detector.DetectorItKit;
import io.maskstream.detector.DetectorService;
import io.maskstream.detector.DetectorTopology;
import io.maskstream.detector.Fixtures;
import io.maskstream.detector.TestFrames;
import io.maskstream.detector.model.Device;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.avro.Detections;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Capture-to-event latency of the detector on an embedded broker, in one run of three phases, all
 * with one camera, one partition, one stream thread and the same model and intra-op threads:
 *
 * <ol>
 *   <li>max throughput: frames/s through a pre-filled frames topic in complete mode;
 *   <li>half load, complete mode: frames produced at half that rate, each stamped with its capture
 *       time just before it is sent; reports capture-to-event latency and the added latency
 *       (capture-to-event minus the frame's inference time), p50/p95/p99;
 *   <li>2x overload, realtime mode with a maximum frame age: frames produced at twice the max rate;
 *       reports p50/p99 capture-to-event latency of the processed frames and the skipped count,
 *       against the target p99 &lt;= 2x the maximum frame age.
 * </ol>
 *
 * <p>Two latencies are reported per event: to {@code processed} (the detector's processed time on
 * the event, what the latency histogram of the metrics records) and to {@code visible} (when a
 * read_committed consumer polling the detections topic received it, after the transaction
 * committed); their difference is the wait for the transaction commit. Prints the figures; no
 * assertions.
 */
public final class LatencyBenchmark {
  private static final String CAMERA = "cam";
  private static final String WARMUP_CAMERA = "warmup";
  private static final int WARMUP_FRAMES = 3;

  private LatencyBenchmark() {}

  /**
   * Arguments, all optional: [max frame age ms (default 1000)] [half-load frames (default 60)]
   * [overload seconds (default 20)] [intra-op threads (default 2)] [throughput frames (default 30)]
   * [commit interval ms (default: the detector's)].
   */
  public static void main(String[] args) throws Exception {
    long maxAgeMs = args.length > 0 ? Long.parseLong(args[0]) : 1000;
    int halfLoadFrames = args.length > 1 ? Integer.parseInt(args[1]) : 60;
    int overloadSeconds = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    int threads = args.length > 3 ? Integer.parseInt(args[3]) : 2;
    int throughputFrames = args.length > 4 ? Integer.parseInt(args[4]) : 30;
    byte[] jpeg = TestFrames.jpeg("image1.png");
    Path dir = Files.createTempDirectory("latency-bench");
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir).build().start()) {
      String bootstrap = kafka.bootstrapServers();
      Properties client = DetectorItKit.client(bootstrap);
      if (args.length > 5) {
        client.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, args[5]);
      }
      DetectorConfig base =
          DetectorConfig.builder()
              .model(Fixtures.model())
              .device(Device.CPU)
              .intraOpThreads(threads)
              .kafka(client)
              .build();

      if (args.length > 5) {
        System.out.printf("commits: every %s ms (commit.interval.ms)%n", args[5]);
      } else {
        System.out.printf(
            "commits: paced by frame age, a tenth of it, %d-%d ms after a frame%n",
            DetectorTopology.MIN_COMMIT_PACE_MS, DetectorTopology.MAX_COMMIT_PACE_MS);
      }

      // 1. max throughput, pre-filled topic, complete mode
      TopicNames maxTopics = DetectorItKit.createTopics(bootstrap, "lat1", 1);
      List<String> keys = new ArrayList<>();
      List<byte[]> values = new ArrayList<>();
      for (int i = 0; i < throughputFrames; i++) {
        keys.add(CAMERA);
        values.add(TestFrames.bytes(TestFrames.frame(CAMERA, i, Instant.now(), jpeg)));
      }
      TestFrames.send(bootstrap, maxTopics.frames(), keys, values);
      List<Event> max;
      double maxCommits;
      try (DetectorService service =
              DetectorService.start(
                  base.toBuilder().topics(maxTopics).applicationId("latency-max").build());
          KafkaConsumer<String, byte[]> reader =
              TestFrames.committedReader(bootstrap, maxTopics.detections())) {
        max = collect(reader, throughputFrames, Duration.ofMinutes(10));
        maxCommits = commits(service);
      }
      if (max.size() < 2) {
        throw new IllegalStateException("only " + max.size() + " events in the throughput phase");
      }
      long first = max.get(0).processedMs();
      long last = max.get(max.size() - 1).processedMs();
      double maxFps = (max.size() - 1) / ((last - first) / 1000.0);
      double inferenceMs = max.stream().mapToDouble(Event::inferenceMs).average().orElse(0);
      System.out.printf(
          "max throughput: %.2f frames/s (%d frames, mean inference %.1f ms, %d intra-op"
              + " threads, %.0f transaction commits)%n",
          maxFps, max.size(), inferenceMs, threads, maxCommits);

      // 2. half load, complete mode
      TopicNames halfTopics = DetectorItKit.createTopics(bootstrap, "lat2", 1);
      double halfFps = maxFps / 2;
      List<Event> half;
      try (DetectorService service =
              DetectorService.start(
                  base.toBuilder().topics(halfTopics).applicationId("latency-half").build());
          KafkaConsumer<String, byte[]> reader =
              TestFrames.committedReader(bootstrap, halfTopics.detections());
          KafkaProducer<String, byte[]> producer = producer(bootstrap)) {
        warmUp(producer, reader, halfTopics, jpeg);
        Pacer pacer = new Pacer(producer, halfTopics.frames(), jpeg, halfFps, halfLoadFrames);
        pacer.start();
        half = collect(reader, halfLoadFrames, Duration.ofMinutes(10));
        pacer.finish();
      }
      System.out.printf(
          "half load, complete mode: %d frames at %.2f frames/s, mean inference %.1f ms%n",
          half.size(), halfFps, half.stream().mapToDouble(Event::inferenceMs).average().orElse(0));
      print("  capture-to-processed ms", half, e -> e.processedMs() - e.captureMs(), 50, 95, 99);
      print("  capture-to-visible ms  ", half, e -> e.visibleMs() - e.captureMs(), 50, 95, 99);
      print(
          "  added (processed - inference) ms",
          half,
          e -> e.processedMs() - e.captureMs() - e.inferenceMs(),
          50,
          95,
          99);
      print(
          "  added (visible - inference) ms  ",
          half,
          e -> e.visibleMs() - e.captureMs() - e.inferenceMs(),
          50,
          95,
          99);
      print(
          "  commit wait (visible - processed) ms",
          half,
          e -> e.visibleMs() - e.processedMs(),
          50,
          95,
          99);

      // 3. 2x overload, realtime mode
      TopicNames overTopics = DetectorItKit.createTopics(bootstrap, "lat3", 1);
      double overFps = maxFps * 2;
      int overFrames = (int) Math.ceil(overFps * overloadSeconds);
      List<Event> over;
      double skipped;
      try (DetectorService service =
              DetectorService.start(
                  base.toBuilder()
                      .topics(overTopics)
                      .applicationId("latency-overload")
                      .mode(DetectorConfig.Mode.REALTIME)
                      .maxFrameAge(Duration.ofMillis(maxAgeMs))
                      .build());
          KafkaConsumer<String, byte[]> reader =
              TestFrames.committedReader(bootstrap, overTopics.detections());
          KafkaProducer<String, byte[]> producer = producer(bootstrap)) {
        warmUp(producer, reader, overTopics, jpeg);
        Pacer pacer = new Pacer(producer, overTopics.frames(), jpeg, overFps, overFrames);
        pacer.start();
        over = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        // every frame ends as an event or as a skip
        while (over.size() + service.metrics().skippedCount(CAMERA) < overFrames
            && System.nanoTime() < deadline) {
          over.addAll(poll(reader));
        }
        pacer.finish();
        // the last events may still be committing
        long quiet = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (System.nanoTime() < quiet) {
          over.addAll(poll(reader));
        }
        skipped = service.metrics().skippedCount(CAMERA);
      }
      System.out.printf(
          "2x overload, realtime mode, max frame age %d ms: %d frames sent at %.2f frames/s"
              + " for %d s, %d processed, %.0f skipped%n",
          maxAgeMs, overFrames, overFps, overloadSeconds, over.size(), skipped);
      double p99 =
          print("  capture-to-visible ms  ", over, e -> e.visibleMs() - e.captureMs(), 50, 99);
      print("  capture-to-processed ms", over, e -> e.processedMs() - e.captureMs(), 50, 99);
      System.out.printf(
          "  target p99 <= 2x max frame age (%d ms): %s (p99 %.0f ms)%n",
          2 * maxAgeMs, p99 <= 2 * maxAgeMs ? "met" : "NOT met", p99);
    }
  }

  /** One detections event with the times it carries and when it became visible. */
  private record Event(
      long sequence, long captureMs, long processedMs, long visibleMs, double inferenceMs) {}

  /** Sends frames of {@link #CAMERA} at a fixed rate, capture time = just before the send. */
  private static final class Pacer extends Thread {
    private final KafkaProducer<String, byte[]> producer;
    private final String topic;
    private final byte[] jpeg;
    private final double fps;
    private final int frames;
    private final AtomicInteger sent = new AtomicInteger();
    private final AtomicReference<Exception> failure = new AtomicReference<>();

    Pacer(KafkaProducer<String, byte[]> producer, String topic, byte[] jpeg, double fps, int n) {
      super("pacer");
      setDaemon(true);
      this.producer = producer;
      this.topic = topic;
      this.jpeg = jpeg;
      this.fps = fps;
      this.frames = n;
    }

    @Override
    public void run() {
      long start = System.nanoTime();
      double intervalNanos = 1e9 / fps;
      try {
        for (int i = 0; i < frames; i++) {
          long due = start + (long) (i * intervalNanos);
          long wait = due - System.nanoTime();
          if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
          }
          byte[] value = TestFrames.bytes(TestFrames.frame(CAMERA, i, Instant.now(), jpeg));
          producer.send(
              new ProducerRecord<>(topic, CAMERA, value),
              (meta, e) -> {
                if (e != null) {
                  failure.compareAndSet(null, e);
                }
              });
          sent.incrementAndGet();
        }
        producer.flush();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /** Waits for the last send; fails if any frame could not be sent. */
    void finish() throws InterruptedException {
      join();
      if (failure.get() != null || sent.get() < frames) {
        throw new IllegalStateException(
            "sent " + sent.get() + " of " + frames + " frames", failure.get());
      }
    }
  }

  private static KafkaProducer<String, byte[]> producer(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 * 1024 * 1024);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
  }

  /**
   * Sends frames of another camera, one at a time, until a few have come back as events: the
   * partition is assigned and the model warm. In realtime mode a frame waiting for the first
   * assignment may be skipped as too old, so each one gets a few seconds before the next is sent.
   */
  private static void warmUp(
      KafkaProducer<String, byte[]> producer,
      KafkaConsumer<String, byte[]> reader,
      TopicNames topics,
      byte[] jpeg)
      throws Exception {
    int seen = 0;
    int sent = 0;
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (seen < WARMUP_FRAMES && System.nanoTime() < deadline) {
      byte[] value = TestFrames.bytes(TestFrames.frame(WARMUP_CAMERA, sent++, Instant.now(), jpeg));
      producer.send(new ProducerRecord<>(topics.frames(), WARMUP_CAMERA, value)).get();
      long wait = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      boolean back = false;
      while (!back && System.nanoTime() < wait) {
        for (ConsumerRecord<String, byte[]> r : reader.poll(Duration.ofMillis(100))) {
          if (WARMUP_CAMERA.equals(
              DETECTIONS.deserialize(r.topic(), r.value()).getFrame().getCamera())) {
            seen++;
            back = true;
          }
        }
      }
    }
    if (seen < WARMUP_FRAMES) {
      throw new IllegalStateException("warm-up frames not processed in time");
    }
  }

  private static final AvroSerde<Detections> DETECTIONS = new AvroSerde<>(Detections.class);

  /** Events of {@link #CAMERA} received in one short poll, stamped with the receive time. */
  private static List<Event> poll(KafkaConsumer<String, byte[]> reader) {
    List<Event> out = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> r : reader.poll(Duration.ofMillis(20))) {
      long visible = System.currentTimeMillis();
      Detections d = DETECTIONS.deserialize(r.topic(), r.value());
      if (!CAMERA.equals(d.getFrame().getCamera())) {
        continue;
      }
      out.add(
          new Event(
              d.getFrame().getSequence(),
              d.getFrame().getCaptureTime().toEpochMilli(),
              d.getTimings().getProcessedTime().toEpochMilli(),
              visible,
              d.getTimings().getInferenceMs()));
    }
    return out;
  }

  private static List<Event> collect(KafkaConsumer<String, byte[]> reader, int n, Duration max) {
    List<Event> events = new ArrayList<>();
    long deadline = System.nanoTime() + max.toNanos();
    while (events.size() < n && System.nanoTime() < deadline) {
      events.addAll(poll(reader));
    }
    if (events.size() < n) {
      throw new IllegalStateException("only " + events.size() + " of " + n + " events in time");
    }
    return events;
  }

  /** Transactions the stream threads of {@code service} have committed so far. */
  private static double commits(DetectorService service) {
    return MetricsScrape.of(service.scrape()).sum("kafka_stream_thread_commit_total");
  }

  /** Prints nearest-rank percentiles of {@code f} over {@code events}; returns the last one. */
  private static double print(
      String label, List<Event> events, java.util.function.ToDoubleFunction<Event> f, int... ps) {
    if (events.isEmpty()) {
      System.out.println(label + ": no events");
      return Double.NaN;
    }
    double[] v = events.stream().mapToDouble(f).sorted().toArray();
    StringBuilder line = new StringBuilder(label).append(':');
    double value = Double.NaN;
    for (int p : ps) {
      int rank = (int) Math.ceil(p / 100.0 * v.length);
      value = v[Math.max(0, Math.min(v.length - 1, rank - 1))];
      line.append(String.format(" p%d %.1f", p, value));
    }
    line.append(String.format(" (max %.1f, n %d)", v[v.length - 1], v.length));
    System.out.println(line);
    return value;
  }
}
