package io.maskstream.sinks.join;

import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.sinks.EventSamples;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class EventJoinerTest {
  @Test
  void joinsDetectionsAndMasksInEitherOrderBySequenceAndModelVersion() {
    EventJoiner<String> joiner = new EventJoiner<>(Duration.ofSeconds(10), 100);
    assertThat(joiner.offer(EventSamples.detections("a", 1, "v1", 2, "x"), "d1", 0)).isNull();
    assertThat(joiner.offer(EventSamples.masks("a", 1, "v2", 2), "m1-other-model", 0)).isNull();
    assertThat(joiner.offer(EventSamples.masks("a", 2, "v1", 2), "m2", 0)).isNull();
    JoinedFrame<String> one = joiner.offer(EventSamples.masks("a", 1, "v1", 2), "m1", 1);
    assertThat(one).isNotNull();
    assertThat(one.complete()).isTrue();
    assertThat(one.key()).isEqualTo(new FrameKey("a", 1, "v1"));
    assertThat(one.positions()).containsExactly("d1", "m1");
    JoinedFrame<String> two = joiner.offer(EventSamples.detections("a", 2, "v1", 2, "x"), "d2", 2);
    assertThat(two.positions()).containsExactly("m2", "d2");
    assertThat(joiner.size()).isEqualTo(1);
  }

  @Test
  void letsAHalfGoAfterTheTimeoutAndKeepsAtMostCapacityWaiting() {
    EventJoiner<Integer> joiner = new EventJoiner<>(Duration.ofSeconds(10), 3);
    for (int i = 0; i < 5; i++) {
      joiner.offer(EventSamples.detections("a", i, "v1", 1, "x"), i, 1000 + i);
    }
    // over capacity: the two oldest go at once, without masks
    var expired = joiner.expire(1005);
    assertThat(expired).extracting(j -> j.key().sequence()).containsExactly(0L, 1L);
    assertThat(expired).allSatisfy(j -> assertThat(j.masks()).isNull());
    assertThat(joiner.expire(10_000)).isEmpty();
    assertThat(joiner.expire(11_002)).extracting(j -> j.key().sequence()).containsExactly(2L);
    assertThat(joiner.expire(20_000)).hasSize(2);
    assertThat(joiner.size()).isZero();
  }
}
