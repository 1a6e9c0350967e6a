package io.maskstream.detector.shadow;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The single slot: taken while the worker is idle, dropped while it holds or works on one. */
class HandOffTest {
  @Test
  void dropsWhileTheWorkerIsBusyAndTakesAgainOnceDone() throws InterruptedException {
    HandOff<String> h = new HandOff<>();
    assertThat(h.offer("a")).isTrue();
    // the slot is full: the worker has not taken it yet
    assertThat(h.offer("b")).isFalse();
    assertThat(h.take(Duration.ofSeconds(1))).isEqualTo("a");
    // taken but not done: still busy
    assertThat(h.offer("c")).isFalse();
    assertThat(h.take(Duration.ofMillis(50))).isNull();
    h.done();
    assertThat(h.offer("d")).isTrue();
    assertThat(h.take(Duration.ofSeconds(1))).isEqualTo("d");
    h.done();
    assertThat(h.dropped()).isEqualTo(2);
  }

  @Test
  void aWorkerThreadGetsEveryItemItTookAndTheRestAreCounted() throws InterruptedException {
    HandOff<Integer> h = new HandOff<>();
    int[] got = new int[1];
    Thread worker =
        new Thread(
            () -> {
              try {
                while (true) {
                  Integer i = h.take(Duration.ofMillis(500));
                  if (i == null) {
                    return;
                  }
                  got[0]++;
                  Thread.sleep(5);
                  h.done();
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    worker.start();
    int taken = 0;
    for (int i = 0; i < 2000; i++) {
      if (h.offer(i)) {
        taken++;
      }
    }
    worker.join();
    assertThat(got[0]).isEqualTo(taken);
    assertThat(taken + h.dropped()).isEqualTo(2000);
    assertThat(h.dropped()).isPositive();
  }
}
