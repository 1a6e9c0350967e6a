package io.maskstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.ingest.IngestConfig.Camera;
import io.maskstream.ingest.metrics.CameraMetrics.DropReason;
import io.maskstream.ingest.metrics.CameraState;
import io.maskstream.ingest.publish.KafkaFrameSender;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.Topics;
import io.maskstream.schemas.avro.Frame;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Live streams from Debian's ffmpeg through ingest into the embedded Kafka. */
class IngestIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();
  @TempDir static Path dir;
  static Path clip;

  @BeforeAll
  static void clip() throws Exception {
    // 4 s at 25 fps, looped by the senders
    clip = TestClips.video(dir.resolve("camera.mp4"), 320, 240, 25, 100);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static Camera live(String id, String url) {
    return new Camera(id, url, 5, 0, 80, false, true, Duration.ofSeconds(2), Map.of());
  }

  private static void createTopic(String topic) {
    kafka.createTopic(
        topic, 2, Map.of("max.message.bytes", Integer.toString(Topics.MAX_FRAME_BYTES)));
  }

  private static KafkaFrameSender sender(String topic) {
    Properties props = new Properties();
    props.put("bootstrap.servers", kafka.bootstrapServers());
    props.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "1000");
    return new KafkaFrameSender(props, topic);
  }

  /** Reads a topic from the beginning, accumulating records across calls. */
  private static final class TopicReader implements AutoCloseable {
    final KafkaConsumer<String, Frame> consumer;
    final List<ConsumerRecord<String, Frame>> records = new ArrayList<>();

    TopicReader(String topic) {
      Properties props = new Properties();
      props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
      props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(16 << 20));
      consumer = new KafkaConsumer<>(props, new StringDeserializer(), new AvroSerde<>(Frame.class));
      consumer.assign(List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1)));
      consumer.seekToBeginning(consumer.assignment());
    }

    List<Frame> frames(String camera) {
      for (var record : consumer.poll(Duration.ofMillis(200))) {
        records.add(record);
      }
      return records.stream()
          .filter(r -> r.key().equals(camera))
          .map(ConsumerRecord::value)
          .toList();
    }

    @Override
    public void close() {
      consumer.close();
    }
  }

  private static void assertLiveFrames(List<Frame> frames, String camera) {
    assertThat(frames).allSatisfy(f -> assertThat(f.getCamera()).isEqualTo(camera));
    assertThat(frames).allSatisfy(f -> assertThat(f.getWidth()).isEqualTo(320));
    assertThat(frames).allSatisfy(f -> assertThat(f.getHeight()).isEqualTo(240));
    assertThat(frames).extracting(Frame::getSequence).isSorted().doesNotHaveDuplicates();
    long now = System.currentTimeMillis();
    for (int i = 0; i < frames.size(); i++) {
      long capture = frames.get(i).getCaptureTime().toEpochMilli();
      assertThat(capture).isBetween(now - 300_000, now + 1_000);
      if (i > 0) {
        assertThat(capture)
            .isGreaterThanOrEqualTo(frames.get(i - 1).getCaptureTime().toEpochMilli());
      }
    }
  }

  @Test
  void udpAndHttpCamerasRecoverWhenTheSenderRestarts() throws Exception {
    String topic = "it.frames.live";
    createTopic(topic);
    int udpPort = freePort();
    int httpPort = freePort();
    Path log = dir.resolve("ffmpeg-live.log");
    FfmpegSender udp = FfmpegSender.udp(clip, udpPort, log).start();
    FfmpegSender http = FfmpegSender.httpMjpeg(clip, httpPort, log).start();
    IngestConfig config =
        new IngestConfig(
            List.of(
                live("udp-cam", "udp://127.0.0.1:" + udpPort),
                live("http-cam", "http://127.0.0.1:" + httpPort + "/camera.mjpg")),
            0,
            Duration.ofSeconds(5),
            4);
    try (LogCapture logs = new LogCapture();
        udp;
        http;
        IngestService service = IngestService.start(config, sender(topic));
        TopicReader reader = new TopicReader(topic)) {
      await()
          .atMost(Duration.ofSeconds(90))
          .pollInSameThread()
          .untilAsserted(
              () -> {
                assertThat(reader.frames("udp-cam")).hasSizeGreaterThan(10);
                assertThat(reader.frames("http-cam")).hasSizeGreaterThan(10);
              });
      assertLiveFrames(reader.frames("udp-cam"), "udp-cam");
      assertLiveFrames(reader.frames("http-cam"), "http-cam");

      HttpResponse<String> metrics =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + service.metricsPort() + "/metrics"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body())
          .contains("maskstream_ingest_frames_sent_total{camera=\"udp-cam\"}")
          .contains("maskstream_ingest_camera_up{camera=\"http-cam\"} 1");

      // the senders stop: the read timeout marks both cameras down
      udp.stop();
      http.stop();
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                assertThat(service.metrics("udp-cam").state()).isNotEqualTo(CameraState.STREAMING);
                assertThat(service.metrics("http-cam").state()).isNotEqualTo(CameraState.STREAMING);
              });
      long udpBefore = reader.frames("udp-cam").size();
      long httpBefore = reader.frames("http-cam").size();
      Thread.sleep(3_000); // a few failed attempts while nobody sends
      udp.start();
      http.start();
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInSameThread()
          .untilAsserted(
              () -> {
                assertThat(reader.frames("udp-cam")).hasSizeGreaterThan((int) udpBefore + 10);
                assertThat(reader.frames("http-cam")).hasSizeGreaterThan((int) httpBefore + 10);
              });
      assertThat(logs.matching("camera udp-cam: streaming again")).hasSize(1);
      assertThat(logs.matching("camera http-cam: streaming again")).isNotEmpty();
      assertThat(service.metrics("udp-cam").reconnectCount()).isPositive();
      assertThat(service.metrics("http-cam").reconnectCount()).isPositive();
      assertThat(service.metrics("udp-cam").state()).isEqualTo(CameraState.STREAMING);
      // sequence numbers go on across reconnects
      assertLiveFrames(reader.frames("udp-cam"), "udp-cam");
      assertLiveFrames(reader.frames("http-cam"), "http-cam");
    }
  }

  @Test
  void brokerOutageLosesABoundedNumberOfFramesAndIngestResumes() throws Exception {
    String topic = "it.frames.outage";
    createTopic(topic);
    int port = freePort();
    IngestConfig config =
        new IngestConfig(
            List.of(live("cam", "udp://127.0.0.1:" + port)), -1, Duration.ofSeconds(5), 4);
    try (LogCapture logs = new LogCapture();
        FfmpegSender udp = FfmpegSender.udp(clip, port, dir.resolve("ffmpeg-outage.log")).start();
        IngestService service = IngestService.start(config, sender(topic));
        TopicReader reader = new TopicReader(topic)) {
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInSameThread()
          .untilAsserted(() -> assertThat(reader.frames("cam")).hasSizeGreaterThan(10));

      kafka.stop();
      long outageStart = System.nanoTime();
      int maxPending = 0;
      while (System.nanoTime() - outageStart < Duration.ofSeconds(6).toNanos()) {
        maxPending = Math.max(maxPending, service.pendingFrames());
        Thread.sleep(100);
      }
      kafka.start();
      long sequenceAtRestart =
          service.metrics("cam").grabbedCount(); // grabbing went on during the outage
      assertThat(sequenceAtRestart).isPositive();
      // one camera: at most 4 in flight + 1 waiting, however long the outage
      assertThat(maxPending).isLessThanOrEqualTo(5);

      await()
          .atMost(Duration.ofSeconds(90))
          .pollInSameThread()
          .untilAsserted(
              () -> {
                List<Frame> frames = reader.frames("cam");
                long sentAfter = service.metrics("cam").sentCount();
                assertThat(sentAfter).isGreaterThan(frames.size() / 2);
                assertThat(service.metrics("cam").droppedCount(DropReason.SUPERSEDED)).isPositive();
                assertThat(frames).hasSizeGreaterThan(40);
              });
      // each change of Kafka's state is logged once
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(logs.matching("Kafka takes frames again")).hasSize(1));
      assertThat(logs.matching("Kafka has acknowledged no frame")).hasSize(1);
      List<Frame> frames = reader.frames("cam");
      // idempotent producer: no duplicates, order kept, a gap where frames were superseded
      assertLiveFrames(frames, "cam");
      List<Long> gaps = new ArrayList<>();
      for (int i = 1; i < frames.size(); i++) {
        gaps.add(frames.get(i).getSequence() - frames.get(i - 1).getSequence());
      }
      assertThat(gaps.stream().mapToLong(Long::longValue).max().orElse(0)).isGreaterThan(1);
    }
  }

  @Test
  void commandCreatesTheTopicAndPublishesAFileUntilItsEnd() throws Exception {
    Path props =
        Files.writeString(
            dir.resolve("client.properties"), "maskstream.topic.frames=it.cmd.frames\n");
    int exit =
        new CommandLine(new IngestCommand())
            .execute(
                "--camera",
                "file=" + clip,
                "--camera",
                "mpegts=" + TestClips.video(dir.resolve("short.ts"), 320, 240, 25, 25),
                "--fps",
                "5",
                "--no-realtime",
                "--max-width",
                "160",
                "--metrics-port",
                "-1",
                "--bootstrap",
                kafka.bootstrapServers(),
                "--kafka-config",
                props.toString());
    assertThat(exit).isZero();
    try (TopicReader reader = new TopicReader("it.cmd.frames")) {
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInSameThread()
          .untilAsserted(() -> assertThat(reader.frames("file")).hasSize(20));
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInSameThread()
          .untilAsserted(() -> assertThat(reader.frames("mpegts")).hasSize(5));
      List<Frame> frames = reader.frames("file");
      assertThat(frames)
          .extracting(Frame::getSequence)
          .isEqualTo(java.util.stream.LongStream.range(0, 20).boxed().collect(Collectors.toList()));
      assertThat(frames).allSatisfy(f -> assertThat(f.getWidth()).isEqualTo(160));
    }
  }
}
