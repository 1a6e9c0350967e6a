package io.maskstream.detector.bench;

import io.maskstream.broker.EmbeddedKafka;
import io.maskstream.broker.testing.MetricsScrape;
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
 * runs over the same decoded frames, same model and threads, in one run on an embedded broker.
 * Prints the figures; no assertions.
 */
public final class PipelineBenchmark {
  private PipelineBenchmark() {}

  /** utime + stime ticks of every thread of this process, by "tid name". */
  private static Map<String, Long> threadCpu() throws Exception {
    Map<String, Long> out = new HashMap<>();
    try (var tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path t : (Iterable<Path>) tasks::iterator) {
        try {
          String stat = Files.readString(t.resolve("stat"));
          String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          out.put(t.getFileName() + " " + name, Long.parseLong(f[11]) + Long.parseLong(f[12]));
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

  /**
   * Arguments: [frames (default 60)] [intra-op threads (default 2)] [width height (640 480)]
   * [pipeline warm-up frames (default 20)].
   */
  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 60;
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    int w = args.length > 3 ? Integer.parseInt(args[2]) : 640;
    int h = args.length > 3 ? Integer.parseInt(args[3]) : 480;
    int warm = args.length > 4 ? Integer.parseInt(args[4]) : 20;
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
      TopicNames topics =
          new TopicNames("b.frames", "b.detections", "b.masks", "b.models", "b.dlq");
      Properties client = new Properties();
      client.put("bootstrap.servers", kafka.bootstrapServers());
      if (System.getProperty("commit.interval.ms") != null) {
        client.put("commit.interval.ms", System.getProperty("commit.interval.ms"));
      }
      try (Admin admin = Admin.create(client)) {
        Topics.ensure(admin, Topics.specs(topics, 1), Duration.ofSeconds(30));
      }
      List<String> keys = new ArrayList<>();
      List<byte[]> values = new ArrayList<>();
      for (int i = 0; i < warm + n; i++) {
        keys.add("cam");
        values.add(TestFrames.bytes(TestFrames.frame("cam", i, Instant.now(), jpeg)));
      }
      TestFrames.send(kafka.bootstrapServers(), topics.frames(), keys, values);
      DetectorConfig config =
          DetectorConfig.builder()
              .model(Fixtures.model())
              .device(Device.CPU)
              .intraOpThreads(threads)
              .topics(topics)
              .applicationId("pipeline-bench")
              .kafka(client)
              .build();

      // bare loop: model runs only, over frames decoded beforehand
      DecodedImage decoded = ImageDecoder.decode(jpeg);
      double runMs = 0;
      try (ModelSegmenter segmenter = ModelSegmenter.open(config)) {
        for (int i = 0; i < n; i++) {
          runMs += segmenter.segment(decoded, 0f).times().inferenceMs();
        }
      }
      double bareFps = n / (runMs / 1000);

      // the pipeline: the first `warm` frames let the JIT compile the Kafka code paths; the
      // figures are over the n frames after them
      AvroSerde<Detections> serde = new AvroSerde<>(Detections.class);
      List<Detections> events = new ArrayList<>();
      Map<String, Long> cpuAtWarm = null;
      Map<String, Long> cpuAtEnd;
      double commitsAtWarm = 0;
      double commitsAtEnd;
      double commitMs;
      try (DetectorService service = DetectorService.start(config);
          KafkaConsumer<String, byte[]> reader =
              TestFrames.committedReader(kafka.bootstrapServers(), topics.detections())) {
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (events.size() < warm + n && System.nanoTime() < deadline) {
          events.addAll(TestFrames.poll(reader, r -> serde.deserialize(r.topic(), r.value())));
          if (cpuAtWarm == null && events.size() > warm) {
            cpuAtWarm = threadCpu();
            commitsAtWarm =
                MetricsScrape.of(service.scrape()).sum("kafka_stream_thread_commit_total");
          }
        }
        cpuAtEnd = threadCpu();
        commitsAtEnd = MetricsScrape.of(service.scrape()).sum("kafka_stream_thread_commit_total");
        commitMs = MetricsScrape.of(service.scrape()).sum("kafka_stream_thread_commit_latency_avg");
      }
      List<Detections> measured = events.subList(warm, events.size());
      long first = measured.get(0).getTimings().getProcessedTime().toEpochMilli();
      long last = measured.get(measured.size() - 1).getTimings().getProcessedTime().toEpochMilli();
      double pipelineFps = (measured.size() - 1) / ((last - first) / 1000.0);
      double inference = average(measured, Timings::getInferenceMs);
      System.out.printf(
          "%d frames %dx%d (after %d warm-up frames), %d intra-op threads: bare model runs %.2f"
              + " frames/s (%.1f ms/run), pipeline %.2f frames/s (%.1f ms/run inside it),"
              + " efficiency %.3f%n",
          n,
          w,
          h,
          warm,
          threads,
          bareFps,
          runMs / n,
          pipelineFps,
          inference,
          pipelineFps / bareFps);
      double decode = average(measured, Timings::getDecodeMs);
      double pre = average(measured, Timings::getPreprocessMs);
      double post = average(measured, Timings::getPostprocessMs);
      System.out.printf(
          "per frame in the pipeline: %.1f ms between events = preprocess %.1f + inference %.1f"
              + " + post-process %.1f + the rest (deserialise, serialise, produce, commit) %.1f"
              + " ms; decode %.1f ms ran ahead, beside the previous frame's inference%n",
          1000 / pipelineFps,
          pre,
          inference,
          post,
          1000 / pipelineFps - pre - inference - post,
          decode);
      System.out.printf(
          "%.0f transactions for %d frames, %.1f ms per commit (Kafka Streams' recent average)%n",
          commitsAtEnd - commitsAtWarm, measured.size(), commitMs);
      printThreadCpu(cpuAtWarm, cpuAtEnd, measured.size());
    }
  }

  /** CPU per frame of the busiest threads of this process (broker included) over the window. */
  private static void printThreadCpu(Map<String, Long> before, Map<String, Long> after, int n) {
    Map<String, Long> byName = new TreeMap<>();
    after.forEach(
        (thread, ticks) ->
            byName.merge(
                thread.substring(thread.indexOf(' ') + 1).replaceAll("[0-9]+", "#"),
                ticks - before.getOrDefault(thread, 0L),
                Long::sum));
    System.out.println("CPU per frame by thread name (10 ms ticks), busiest first:");
    byName.entrySet().stream()
        .sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
        .limit(8)
        .forEach(e -> System.out.printf("  %6.1f ms  %s%n", e.getValue() * 10.0 / n, e.getKey()));
  }
}
