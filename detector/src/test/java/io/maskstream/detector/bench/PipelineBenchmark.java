package io.maskstream.detector.bench;

import io.maskstream.broker.EmbeddedKafka;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
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

  /** Arguments: [frames (default 60)] [intra-op threads (default 2)] [width height (640 480)]. */
  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 60;
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    int w = args.length > 3 ? Integer.parseInt(args[2]) : 640;
    int h = args.length > 3 ? Integer.parseInt(args[3]) : 480;
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
      try (Admin admin = Admin.create(client)) {
        Topics.ensure(admin, Topics.specs(topics, 1), Duration.ofSeconds(30));
      }
      List<String> keys = new ArrayList<>();
      List<byte[]> values = new ArrayList<>();
      for (int i = 0; i < n; i++) {
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

      AvroSerde<Detections> serde = new AvroSerde<>(Detections.class);
      List<Detections> events = new ArrayList<>();
      try (DetectorService service = DetectorService.start(config);
          KafkaConsumer<String, byte[]> reader =
              TestFrames.committedReader(kafka.bootstrapServers(), topics.detections())) {
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (events.size() < n && System.nanoTime() < deadline) {
          events.addAll(TestFrames.poll(reader, r -> serde.deserialize(r.topic(), r.value())));
        }
      }
      long first = events.get(0).getTimings().getProcessedTime().toEpochMilli();
      long last = events.get(events.size() - 1).getTimings().getProcessedTime().toEpochMilli();
      double pipelineFps = (events.size() - 1) / ((last - first) / 1000.0);
      double inPipeline =
          events.stream().mapToDouble(e -> e.getTimings().getInferenceMs()).average().orElse(0);
      System.out.printf(
          "%d frames %dx%d, %d intra-op threads: bare model runs %.2f frames/s (%.1f ms/run),"
              + " pipeline %.2f frames/s (%.1f ms/run inside it), efficiency %.3f%n",
          n, w, h, threads, bareFps, runMs / n, pipelineFps, inPipeline, pipelineFps / bareFps);
    }
  }
}
