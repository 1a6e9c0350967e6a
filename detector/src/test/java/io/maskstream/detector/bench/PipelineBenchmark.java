package io.maskstream.detector.bench;

import io.maskstream.broker.EmbeddedKafka;
import io.maskstream.broker.testing.MetricsScrape;
import io.maskstream.broker.testing.ProcStat;
import io.maskstream.detector.DetectorConfig;
import io.maskstream.detector.DetectorService;
import io.maskstream.detector.Fixtures;
import io.maskstream.detector.TestFrames;
import io.maskstream.detector.image.DecodedImage;
import io.maskstream.detector.image.ImageDecoder;
import io.maskstream.detector.model.Device;
import io.maskstream.detector.model.ModelSegmenter;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.Topics;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.Timings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Pipeline efficiency: frames/s through frames topic -> detector -> event topics (complete mode,
 * topic pre-filled, one partition, one stream thread) divided by frames/s of a bare loop of model
 * runs over the same decoded frame, same model and threads, on an embedded broker.
 *
 * <p>The two alternate in rounds, so that a machine whose speed drifts (a shared VM) does not
 * favour either: each round runs the bare loop {@code batch} times, then puts {@code batch} frames
 * captured a minute earlier (a backlog) on the frames topic at once and times the detector from its
 * first event to its last. The efficiency of each round and of all rounds together is printed, with
 * where a frame's time goes in the pipeline, the transactions committed and the CPU by thread
 * during the pipeline's part. A first {@code warm} frames let the JIT compile the Kafka paths.
 * Prints the figures; no assertions.
 */
public final class PipelineBenchmark {
  private PipelineBenchmark() {}

  /**
   * Arguments: [frames (default 120)] [intra-op threads (default 2)] [width height (640 480)]
   * [warm-up frames (default 40)] [frames per round (default 12)].
   */
  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 120;
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    int w = args.length > 3 ? Integer.parseInt(args[2]) : 640;
    int h = args.length > 3 ? Integer.parseInt(args[3]) : 480;
    int warm = args.length > 4 ? Integer.parseInt(args[4]) : 40;
    int batch = args.length > 5 ? Integer.parseInt(args[5]) : 12;
    int rounds = Math.max(1, n / batch);
    byte[] jpeg;
    try (Mat small = opencv_imgcodecs.imread(Fixtures.path("image1.png").toString());
        Mat big = new Mat();
        BytePointer out = new BytePointer()) {
      opencv_imgproc.resize(small, big, new Size(w, h));
      opencv_imgcodecs.imencode(".jpg", big, out);
      jpeg = new byte[(int) out.limit()];
      out.get(jpeg);
    }
    Path dir = Files.createTempDirectory("pipeline-bench");
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir).build().start()) {
      TopicNames topics = TopicNames.prefixed("b");
      Properties client = new Properties();
      client.put("bootstrap.servers", kafka.bootstrapServers());
      if (System.getProperty("commit.interval.ms") != null) {
        client.put("commit.interval.ms", System.getProperty("commit.interval.ms"));
      }
      try (Admin admin = Admin.create(client)) {
        Topics.ensure(admin, Topics.specs(topics, 1), Duration.ofSeconds(30));
      }
      DetectorConfig config =
          DetectorConfig.builder()
              .model(Fixtures.model())
              .device(Device.CPU)
              .intraOpThreads(threads)
              .topics(topics)
              .applicationId("pipeline-bench")
              .kafka(client)
              .build();
      DecodedImage decoded = ImageDecoder.decode(jpeg);
      AvroSerde<Detections> serde = new AvroSerde<>(Detections.class);
      List<Detections> measured = new ArrayList<>();
      Map<String, Long> cpu = new HashMap<>();
      double commits = 0;
      double bareMs = 0;
      double pipelineMs = 0;
      List<Double> perRound = new ArrayList<>();
      try (ModelSegmenter bare = ModelSegmenter.open(config);
          DetectorService service = DetectorService.start(config);
          KafkaConsumer<String, byte[]> reader =
              TestFrames.committedReader(kafka.bootstrapServers(), topics.detections())) {
        Feed feed = new Feed(kafka.bootstrapServers(), topics.frames(), jpeg);
        feed.send(warm);
        await(reader, serde, warm);
        for (int r = 0; r < rounds; r++) {
          double ms = 0;
          for (int i = 0; i < batch; i++) {
            ms += bare.segment(decoded, 0f).times().inferenceMs();
          }
          ms /= batch;
          Map<String, Long> cpuBefore = threadCpu();
          double commitsBefore = commitTotal(service);
          feed.send(batch);
          List<Detections> events = await(reader, serde, batch);
          subtractInto(cpu, cpuBefore, threadCpu());
          commits += commitTotal(service) - commitsBefore;
          double perFrame =
              (processed(events.get(batch - 1)) - processed(events.get(0))) / (batch - 1.0);
          perRound.add(ms / perFrame);
          bareMs += ms;
          pipelineMs += perFrame;
          measured.addAll(events.subList(1, batch));
        }
      }
      bareMs /= rounds;
      pipelineMs /= rounds;
      List<Double> sorted = perRound.stream().sorted().toList();
      System.out.printf(
          "%d rounds of %d frames %dx%d (after %d warm-up frames), %d intra-op threads:"
              + " bare model runs %.2f frames/s (%.1f ms/run), pipeline %.2f frames/s"
              + " (%.1f ms/frame, %.1f ms/run inside it), efficiency %.3f (rounds: median %.3f,"
              + " min %.3f, max %.3f)%n",
          rounds,
          batch,
          w,
          h,
          warm,
          threads,
          1000 / bareMs,
          bareMs,
          1000 / pipelineMs,
          pipelineMs,
          average(measured, Timings::getInferenceMs),
          bareMs / pipelineMs,
          sorted.get(sorted.size() / 2),
          sorted.get(0),
          sorted.get(sorted.size() - 1));
      double pre = average(measured, Timings::getPreprocessMs);
      double inference = average(measured, Timings::getInferenceMs);
      double post = average(measured, Timings::getPostprocessMs);
      System.out.printf(
          "per frame in the pipeline: %.1f ms between events = preprocess %.1f + inference %.1f"
              + " + post-process %.1f + the rest (deserialise, serialise, produce, commit) %.1f"
              + " ms; decode %.1f ms ran ahead, beside the previous frame's inference%n",
          pipelineMs,
          pre,
          inference,
          post,
          pipelineMs - pre - inference - post,
          average(measured, Timings::getDecodeMs));
      System.out.printf(
          "%.0f transactions for %d frames in the pipeline's part%n", commits, rounds * batch);
      printThreadCpu(cpu, rounds * batch);
    }
  }

  /** Frames of one camera, captured a minute before they are sent: a backlog. */
  private static final class Feed {
    private final String bootstrap;
    private final String topic;
    private final byte[] jpeg;
    private long sequence;

    Feed(String bootstrap, String topic, byte[] jpeg) {
      this.bootstrap = bootstrap;
      this.topic = topic;
      this.jpeg = jpeg;
    }

    void send(int frames) throws Exception {
      List<String> keys = new ArrayList<>();
      List<byte[]> values = new ArrayList<>();
      Instant captured = Instant.now().minusSeconds(60);
      for (int i = 0; i < frames; i++) {
        keys.add("cam");
        values.add(TestFrames.bytes(TestFrames.frame("cam", sequence++, captured, jpeg)));
      }
      TestFrames.send(bootstrap, topic, keys, values);
    }
  }

  private static List<Detections> await(
      KafkaConsumer<String, byte[]> reader, AvroSerde<Detections> serde, int n) {
    List<Detections> events = new ArrayList<>();
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (events.size() < n) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("only " + events.size() + " of " + n + " events in time");
      }
      events.addAll(TestFrames.poll(reader, r -> serde.deserialize(r.topic(), r.value())));
    }
    return events;
  }

  /** utime + stime ticks of every thread of this process, by "tid name". */
  private static Map<String, Long> threadCpu() throws Exception {
    Map<String, Long> out = new HashMap<>();
    try (var tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path t : (Iterable<Path>) tasks::iterator) {
        try {
          ProcStat stat = ProcStat.read(t.resolve("stat"));
          out.put(t.getFileName() + " " + stat.comm(), stat.cpuTicks());
        } catch (java.io.IOException e) {
          // thread ended
        }
      }
    }
    return out;
  }

  private static double average(List<Detections> events, ToDoubleFunction<Timings> stage) {
    return events.stream()
        .mapToDouble(e -> stage.applyAsDouble(e.getTimings()))
        .average()
        .orElse(0);
  }

  private static long processed(Detections d) {
    return d.getTimings().getProcessedTime().toEpochMilli();
  }

  private static double commitTotal(DetectorService service) {
    return MetricsScrape.of(service.scrape()).sum("kafka_stream_thread_commit_total");
  }

  private static void subtractInto(
      Map<String, Long> total, Map<String, Long> before, Map<String, Long> after) {
    after.forEach(
        (thread, ticks) -> total.merge(thread, ticks - before.getOrDefault(thread, 0L), Long::sum));
  }

  /** CPU per frame of the busiest threads of this process (broker included), from tick deltas. */
  private static void printThreadCpu(Map<String, Long> ticksByThread, int n) {
    Map<String, Long> byName = new TreeMap<>();
    ticksByThread.forEach(
        (thread, ticks) ->
            byName.merge(
                thread.substring(thread.indexOf(' ') + 1).replaceAll("[0-9]+", "#"),
                ticks,
                Long::sum));
    System.out.println("CPU per frame by thread name (10 ms ticks), busiest first:");
    byName.entrySet().stream()
        .sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
        .limit(8)
        .forEach(e -> System.out.printf("  %6.1f ms  %s%n", e.getValue() * 10.0 / n, e.getKey()));
  }
}
