package io.maskstream.detector.stream;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DecodedStatesTest {
  @Test
  void aValueIsReusedOnlyWhileTheStoreHoldsItsBytes() {
    DecodedStates<String> states = new DecodedStates<>();
    states.put("gate", new byte[] {1, 2, 3}, "written");
    assertThat(states.get("gate", new byte[] {1, 2, 3})).isEqualTo("written");
    // restored or replayed: other bytes in the store, decode them
    assertThat(states.get("gate", new byte[] {1, 2, 4})).isNull();
    assertThat(states.get("gate", null)).isNull();
    assertThat(states.get("lobby", new byte[] {1, 2, 3})).isNull();
    states.put("gate", null, null);
    assertThat(states.get("gate", new byte[] {1, 2, 3})).isNull();
  }
}
