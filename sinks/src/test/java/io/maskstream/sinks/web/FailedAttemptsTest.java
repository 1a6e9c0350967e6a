package io.maskstream.sinks.web;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FailedAttemptsTest {
  @Test
  void refusesAnAddressAfterTooManyWrongAttemptsUntilTheWindowEnds() {
    FailedAttempts attempts = new FailedAttempts();
    long t0 = 1_000_000;
    for (int i = 1; i < FailedAttempts.MAX_FAILURES; i++) {
      assertThat(attempts.failed("10.0.0.1", t0 + i)).isFalse();
      assertThat(attempts.refusedForMillis("10.0.0.1", t0 + i)).isZero();
    }
    assertThat(attempts.failed("10.0.0.1", t0 + 100)).as("the one that gets it refused").isTrue();
    assertThat(attempts.refusedForMillis("10.0.0.1", t0 + 100))
        .as("until a window after the first wrong attempt")
        .isEqualTo(FailedAttempts.WINDOW_MS - 99);
    assertThat(attempts.refusedForMillis("10.0.0.2", t0 + 100)).as("another address").isZero();
    assertThat(attempts.refusedForMillis("10.0.0.1", t0 + FailedAttempts.WINDOW_MS)).isEqualTo(1);
    assertThat(attempts.refusedForMillis("10.0.0.1", t0 + 1 + FailedAttempts.WINDOW_MS)).isZero();
    assertThat(attempts.failed("10.0.0.1", t0 + 1 + FailedAttempts.WINDOW_MS)).isFalse();
  }

  @Test
  void wrongAttemptsSpreadOverTimeAreNotRefused() {
    FailedAttempts attempts = new FailedAttempts();
    long t = 0;
    for (int i = 0; i < 5 * FailedAttempts.MAX_FAILURES; i++) {
      t += FailedAttempts.WINDOW_MS / (FailedAttempts.MAX_FAILURES - 2);
      attempts.failed("10.0.0.1", t);
      assertThat(attempts.refusedForMillis("10.0.0.1", t)).isZero();
    }
  }

  @Test
  void theRightCredentialsForgetEarlierMistakes() {
    FailedAttempts attempts = new FailedAttempts();
    for (int i = 1; i < FailedAttempts.MAX_FAILURES; i++) {
      attempts.failed("10.0.0.1", i);
    }
    attempts.succeeded("10.0.0.1");
    assertThat(attempts.failed("10.0.0.1", 50)).isFalse();
    assertThat(attempts.refusedForMillis("10.0.0.1", 50)).isZero();
  }

  @Test
  void remembersABoundedNumberOfAddresses() {
    FailedAttempts attempts = new FailedAttempts();
    for (int i = 0; i < FailedAttempts.MAX_FAILURES; i++) {
      attempts.failed("10.0.0.1", i);
    }
    for (int i = 0; i < FailedAttempts.MAX_ADDRESSES; i++) {
      attempts.failed("addr-" + i, 20);
    }
    assertThat(attempts.refusedForMillis("10.0.0.1", 30)).as("forgotten, the oldest").isZero();
  }
}
