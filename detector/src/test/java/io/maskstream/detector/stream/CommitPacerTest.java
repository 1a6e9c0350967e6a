package io.maskstream.detector.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.maskstream.detector.DetectorConfig;
import io.maskstream.detector.ModelIdentity;
import io.maskstream.detector.Segmentation;
import io.maskstream.detector.Segmenter;
import io.maskstream.detector.StageTimes;
import io.maskstream.detector.image.DecodedImage;
import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.avro.Frame;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;

class CommitPacerTest {
  private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");

  @Test
  void liveFramesAreCommittedOneByOneAndABacklogAFewAtATime() {
    CommitPacer pacer = new CommitPacer(20, 1000);
    // live: 150 ms old frames, one every 150 ms -> every frame (wait is 20 ms)
    assertThat(pacer.commitNow(0, 150)).isTrue();
    assertThat(pacer.commitNow(150, 150)).isTrue();
    assertThat(pacer.commitNow(160, 150)).isFalse(); // within 20 ms of the last
    assertThat(pacer.commitNow(171, 150)).isTrue();
    // backlog: 5 s old frames wait up to 500 ms
    CommitPacer behind = new CommitPacer(20, 1000);
    int commits = 0;
    for (long t = 0; t < 3000; t += 150) {
      commits += behind.commitNow(t, 5000) ? 1 : 0;
    }
    assertThat(commits).isEqualTo(5); // at 0, 600, 1200, 1800, 2400
    // a minute behind: capped at the maximum
    CommitPacer far = new CommitPacer(20, 1000);
    assertThat(far.commitNow(0, 60_000)).isTrue();
    assertThat(far.commitNow(999, 60_000)).isFalse();
    assertThat(far.commitNow(1000, 60_000)).isTrue();
    // a clock ahead of the camera (negative age) commits at the shortest pace
    CommitPacer skewed = new CommitPacer(20, 1000);
    assertThat(skewed.commitNow(0, -500)).isTrue();
    assertThat(skewed.commitNow(20, -500)).isTrue();
  }

  @Test
  void theLastFramesOfABacklogAreCommittedWhenTheirWaitRunsOutEvenWithNoFrameAfterThem() {
    CommitPacer pacer = new CommitPacer(20, 1000);
    assertThat(pacer.due(0)).isFalse(); // nothing processed
    assertThat(pacer.commitNow(0, 5000)).isTrue();
    assertThat(pacer.commitNow(150, 5000)).isFalse(); // waits up to 500 ms, until 650
    assertThat(pacer.commitNow(300, 5000)).isFalse();
    assertThat(pacer.due(600)).isFalse();
    assertThat(pacer.due(650)).isTrue();
    assertThat(pacer.due(700)).isFalse(); // requested already, nothing new since
    // an older frame's deadline also triggers at the next frame
    assertThat(pacer.commitNow(800, 5000)).isFalse(); // deadline 1300
    assertThat(pacer.commitNow(1000, 60_000)).isFalse(); // its own wait ends at 2000 (cap 1000)
    assertThat(pacer.commitNow(1300, 60_000)).isTrue(); // but the first frame's ended at 1300
  }

  @Test
  void theProcessorsPunctuationCommitsFramesThatStoppedComing() {
    Clock[] clock = {Clock.fixed(NOW, ZoneOffset.UTC)};
    Processor<byte[], IncomingFrame, byte[], FrameOutcome> processor =
        processor(new Properties(), clock);
    MockProcessorContext<byte[], FrameOutcome> context = new MockProcessorContext<>();
    processor.init(context);
    assertThat(context.scheduledPunctuators()).hasSize(1);
    processor.process(record(0, NOW.minusSeconds(10)));
    assertThat(context.committed()).isTrue();
    context.resetCommit();
    clock[0] = Clock.fixed(NOW.plusMillis(100), ZoneOffset.UTC);
    processor.process(record(1, NOW.minusSeconds(10))); // 10.1 s old: may wait 1010 ms
    assertThat(context.committed()).isFalse();
    var punctuator = context.scheduledPunctuators().get(0).getPunctuator();
    clock[0] = Clock.fixed(NOW.plusMillis(1100), ZoneOffset.UTC);
    punctuator.punctuate(0);
    assertThat(context.committed()).isFalse();
    clock[0] = Clock.fixed(NOW.plusMillis(1110), ZoneOffset.UTC);
    punctuator.punctuate(0);
    assertThat(context.committed()).isTrue();
  }

  @Test
  void refusesAnInvertedPace() {
    assertThatThrownBy(() -> new CommitPacer(50, 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0 <= min <= max");
  }

  @Test
  void theProcessorAsksForACommitAfterALiveFrameButNotAfterEveryFrameOfABacklog() {
    MockProcessorContext<byte[], FrameOutcome> context = run(new Properties(), 100, 0);
    assertThat(context.committed()).isTrue();

    // ten frames processed 10 ms apart, each 10 s old: one commit request, for the first
    Clock[] clock = {Clock.fixed(NOW, ZoneOffset.UTC)};
    Processor<byte[], IncomingFrame, byte[], FrameOutcome> processor =
        processor(new Properties(), clock);
    MockProcessorContext<byte[], FrameOutcome> backlog = new MockProcessorContext<>();
    processor.init(backlog);
    int requests = 0;
    for (int i = 0; i < 10; i++) {
      clock[0] = Clock.fixed(NOW.plusMillis(10L * i), ZoneOffset.UTC);
      processor.process(record(i, NOW.minusSeconds(10)));
      requests += backlog.committed() ? 1 : 0;
      backlog.resetCommit();
    }
    assertThat(requests).isEqualTo(1);
    assertThat(backlog.forwarded()).hasSize(10); // each frame's outcome
  }

  @Test
  void aUserCommitIntervalIsTheOnlyPace() {
    Properties user = new Properties();
    user.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "250");
    assertThat(run(user, 100, 0).committed()).isFalse();
  }

  private static MockProcessorContext<byte[], FrameOutcome> run(
      Properties kafka, long ageMillis, long sequence) {
    Clock[] clock = {Clock.fixed(NOW, ZoneOffset.UTC)};
    Processor<byte[], IncomingFrame, byte[], FrameOutcome> processor = processor(kafka, clock);
    MockProcessorContext<byte[], FrameOutcome> context = new MockProcessorContext<>();
    processor.init(context);
    processor.process(record(sequence, NOW.minusMillis(ageMillis)));
    assertThat(context.forwarded()).hasSize(1);
    return context;
  }

  private static Processor<byte[], IncomingFrame, byte[], FrameOutcome> processor(
      Properties kafka, Clock[] clock) {
    DetectorConfig config =
        DetectorConfig.builder()
            .model(Path.of("unused.onnx"))
            .topics(TopicNames.DEFAULTS)
            .kafka(kafka)
            .build();
    Clock ticking =
        new Clock() {
          @Override
          public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
          }

          @Override
          public Clock withZone(java.time.ZoneId zone) {
            return this;
          }

          @Override
          public Instant instant() {
            return clock[0].instant();
          }
        };
    return FrameProcessors.supplier(
            config, new EmptySegmenter(), new DetectorMetrics(new SimpleMeterRegistry()), ticking)
        .get();
  }

  private static Record<byte[], IncomingFrame> record(long sequence, Instant captured) {
    Frame frame =
        Frame.newBuilder()
            .setCamera("cam")
            .setSequence(sequence)
            .setCaptureTime(captured)
            .setWidth(8)
            .setHeight(6)
            .setImage(ByteBuffer.wrap(new byte[] {1, 2, 3}))
            .build();
    byte[] value = new AvroSerde<>(Frame.class).serialize("maskstream.frames", frame);
    return new Record<>(
        "cam".getBytes(java.nio.charset.StandardCharsets.UTF_8),
        IncomingFrame.of(value, frame),
        0L);
  }

  /** Finds nothing in any image. */
  private static final class EmptySegmenter implements Segmenter {
    private static final ModelIdentity MODEL = new ModelIdentity("empty", "0123456789ab");

    @Override
    public DecodedImage decode(byte[] encodedImage) {
      return new DecodedImage(1, 1, new byte[3], 8, 6); // a stand-in for an 8x6 frame
    }

    @Override
    public Segmentation segment(DecodedImage image, float decodeMs) {
      return new Segmentation(8, 6, List.of(), MODEL, new StageTimes(0f, 0f, 1f, 0f));
    }

    @Override
    public ModelIdentity model() {
      return MODEL;
    }

    @Override
    public long worstCaseMillis() {
      return 1;
    }

    @Override
    public void close() {}
  }
}
