package io.maskstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.maskstream.ingest.metrics.CameraMetrics;
import io.maskstream.ingest.metrics.CameraMetrics.DropReason;
import io.maskstream.ingest.publish.LatestFrameDispatcher;
import io.maskstream.schemas.avro.Frame;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LatestFrameDispatcherTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final Map<String, CameraMetrics> metrics =
      Map.of("a", new CameraMetrics(registry, "a"), "b", new CameraMetrics(registry, "b"));

  private static Frame frame(String camera, long sequence) {
    return Frame.newBuilder()
        .setCamera(camera)
        .setSequence(sequence)
        .setCaptureTime(Instant.ofEpochMilli(1_000 + sequence))
        .setWidth(2)
        .setHeight(2)
        .setEncoding(io.maskstream.schemas.avro.ImageEncoding.JPEG)
        .setPresentationTime(null)
        .setImage(ByteBuffer.wrap(new byte[] {1, 2, 3}))
        .build();
  }

  @Test
  void keepsOnlyTheNewestFramePerCameraWhileKafkaIsDownAndResumes() throws Exception {
    CollectingSender sender = new CollectingSender();
    sender.down();
    LatestFrameDispatcher dispatcher = new LatestFrameDispatcher(sender, 2, metrics::get);
    for (long i = 0; i < 100; i++) {
      dispatcher.submit(frame("a", i), false);
      dispatcher.submit(frame("b", i), false);
    }
    // bounded: 2 in flight + 1 waiting per camera, whatever was offered
    // a lagging dispatcher may have found only the newest frame left for a camera
    await().atMost(Duration.ofSeconds(10)).until(() -> sender.held() >= 2);
    assertThat(sender.held()).isLessThanOrEqualTo(4);
    assertThat(dispatcher.pending()).isBetween(2, 6);

    sender.up();
    await().atMost(Duration.ofSeconds(10)).until(() -> dispatcher.pending() == 0);
    for (String camera : new String[] {"a", "b"}) {
      // in order, the newest frame last; every other frame counted as superseded
      List<Long> sequences = sender.frames(camera).stream().map(Frame::getSequence).toList();
      assertThat(sequences).hasSizeBetween(1, 3).isSorted().endsWith(99L);
      assertThat(metrics.get(camera).sentCount()).isEqualTo(sequences.size());
      assertThat(metrics.get(camera).droppedCount(DropReason.SUPERSEDED))
          .isEqualTo(100 - sequences.size());
    }
    int before = sender.frames("a").size();
    dispatcher.submit(frame("a", 100), false);
    await().atMost(Duration.ofSeconds(10)).until(() -> sender.frames("a").size() == before + 1);
    dispatcher.close(Duration.ofSeconds(5));
    assertThat(sender.closed()).isTrue();
  }

  /**
   * A sender that fails the first try of the given sequences with {@code error}, on its own thread
   * as Kafka's producer calls back, and takes everything else.
   */
  private static final class FlakySender implements io.maskstream.ingest.publish.RecordSender {
    private final java.util.Set<Long> failOnce;
    private final RuntimeException error;
    private final List<Long> taken = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.concurrent.ExecutorService callbacks =
        java.util.concurrent.Executors.newSingleThreadExecutor();

    FlakySender(java.util.Set<Long> failOnce, RuntimeException error) {
      this.failOnce = new java.util.HashSet<>(failOnce);
      this.error = error;
    }

    @Override
    public void send(Frame frame, java.util.function.Consumer<Exception> done) {
      boolean fail;
      synchronized (failOnce) {
        fail = failOnce.remove(frame.getSequence());
      }
      callbacks.execute(
          () -> {
            if (fail) {
              done.accept(error);
            } else {
              taken.add(frame.getSequence());
              done.accept(null);
            }
          });
    }

    @Override
    public void flush() {}

    @Override
    public void close(Duration timeout) {
      callbacks.shutdown();
    }
  }

  private static final RuntimeException TIMEOUT =
      new org.apache.kafka.common.errors.TimeoutException("Expiring 1 record(s): 30000 ms passed");

  @Test
  void aWaitingSourceLosesNoFrameKafkaFailedToTakeForAPassingReason() throws Exception {
    FlakySender sender = new FlakySender(java.util.Set.of(0L, 3L, 4L, 9L), TIMEOUT);
    LatestFrameDispatcher dispatcher = new LatestFrameDispatcher(sender, 2, metrics::get);
    for (long i = 0; i < 10; i++) {
      dispatcher.submit(frame("a", i), true);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> dispatcher.pending() == 0);
    assertThat(sender.taken).containsExactlyInAnyOrder(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
    assertThat(metrics.get("a").sentCount()).isEqualTo(10);
    assertThat(metrics.get("a").droppedCount(DropReason.FAILED)).isZero();
    dispatcher.close(Duration.ofSeconds(5));
  }

  @Test
  void aLiveFrameKafkaFailedToTakeIsDroppedAndSoIsAnyFrameKafkaRefused() throws Exception {
    FlakySender live = new FlakySender(java.util.Set.of(1L), TIMEOUT);
    LatestFrameDispatcher liveDispatcher = new LatestFrameDispatcher(live, 1, metrics::get);
    for (long i = 0; i < 3; i++) {
      liveDispatcher.submit(frame("a", i), false);
      await().atMost(Duration.ofSeconds(10)).until(() -> liveDispatcher.pending() == 0);
    }
    assertThat(live.taken).containsExactly(0L, 2L);
    assertThat(metrics.get("a").droppedCount(DropReason.FAILED)).isEqualTo(1);
    liveDispatcher.close(Duration.ofSeconds(5));

    FlakySender refusing =
        new FlakySender(
            java.util.Set.of(1L),
            new org.apache.kafka.common.errors.RecordTooLargeException("too large"));
    LatestFrameDispatcher waiting = new LatestFrameDispatcher(refusing, 1, metrics::get);
    for (long i = 0; i < 3; i++) {
      waiting.submit(frame("b", i), true);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> waiting.pending() == 0);
    assertThat(refusing.taken).containsExactly(0L, 2L);
    assertThat(metrics.get("b").droppedCount(DropReason.FAILED)).isEqualTo(1);
    waiting.close(Duration.ofSeconds(5));
  }

  @Test
  void waitingSourcesLoseNoFrame() throws Exception {
    CollectingSender sender = new CollectingSender();
    LatestFrameDispatcher dispatcher = new LatestFrameDispatcher(sender, 1, metrics::get);
    Thread producer =
        new Thread(
            () -> {
              try {
                for (long i = 0; i < 500; i++) {
                  dispatcher.submit(frame("a", i), true);
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    producer.start();
    producer.join(30_000);
    dispatcher.close(Duration.ofSeconds(5));
    assertThat(sender.frames("a")).hasSize(500);
    assertThat(sender.frames("a")).extracting(Frame::getSequence).isSorted();
    assertThat(metrics.get("a").droppedCount()).isZero();
  }

  @Test
  void settlingACameraWaitsForItsLastFramesAndForgetsIt() throws Exception {
    CollectingSender sender = new CollectingSender();
    sender.down();
    LatestFrameDispatcher dispatcher = new LatestFrameDispatcher(sender, 1, metrics::get);
    dispatcher.submit(frame("a", 0), false);
    // a0 in flight before a1 comes, so a1 waits instead of replacing it
    await().atMost(Duration.ofSeconds(10)).until(() -> sender.held() == 1);
    dispatcher.submit(frame("a", 1), false);
    dispatcher.submit(frame("b", 0), false);
    await().atMost(Duration.ofSeconds(10)).until(() -> sender.held() == 2);
    // Kafka takes nothing: settling gives up at its time limit and drops what still waits
    assertThat(dispatcher.settle(List.of("a"), Duration.ofMillis(300))).isFalse();
    assertThat(metrics.get("a").droppedCount(DropReason.FAILED)).isEqualTo(1);
    // once Kafka takes frames again, what was in flight is acknowledged and settling succeeds
    Thread release =
        new Thread(
            () -> {
              try {
                Thread.sleep(300);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              sender.up();
            });
    release.start();
    assertThat(dispatcher.settle(List.of("a", "b"), Duration.ofSeconds(10))).isTrue();
    assertThat(sender.frames("a")).extracting(Frame::getSequence).containsExactly(0L);
    assertThat(sender.frames("b")).extracting(Frame::getSequence).containsExactly(0L);
    assertThat(dispatcher.pending()).isZero();
    // a settled camera that comes back starts afresh
    dispatcher.submit(frame("a", 2), false);
    await().atMost(Duration.ofSeconds(10)).until(() -> sender.frames("a").size() == 2);
    dispatcher.close(Duration.ofSeconds(5));
  }
}
