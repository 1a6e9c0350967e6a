package io.maskstream.sinks.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.schemas.avro.ZoneEvent;
import java.util.List;
import org.junit.jupiter.api.Test;

class ZoneEventRowTest {
  @Test
  void occupancyIsAnObjectOfCountsByLabel() {
    ZoneEventRow row = ZoneEventRow.of(TrackEvents.enter("cam", "dock", 7, 12, 2));
    assertThat(row.occupancy()).isEqualTo("{\"car\":2,\"person\":1}");
    assertThat(row.crossings()).isEqualTo("[]");
  }

  @Test
  void crossingsAreAnArrayOfLabelDirectionAndCount() {
    ZoneEventRow row = ZoneEventRow.of(TrackEvents.cross("cam", "gate", 7, 12, 3));
    assertThat(row.crossings())
        .isEqualTo(
            "[{\"label\":\"car\",\"direction\":\"in\",\"count\":3},"
                + "{\"label\":\"car\",\"direction\":\"out\",\"count\":2}]");
    assertThat(row.occupancy()).isEqualTo("{}");
  }

  @Test
  void labelsAreEscaped() {
    ZoneEvent e =
        ZoneEvent.newBuilder(TrackEvents.enter("cam", "dock", 7, 12, 2))
            .setOccupancy(List.of(new io.maskstream.schemas.avro.ClassCount("a\"b", 1L)))
            .build();
    assertThat(ZoneEventRow.of(e).occupancy()).isEqualTo("{\"a\\\"b\":1}");
  }

  @Test
  void theSameEventTwiceIsOneRowAndEventsOfOneFrameAreNot() {
    ZoneEvent enter = TrackEvents.enter("cam", "dock", 7, 12, 2);
    List<ZoneEvent> events =
        List.of(
            enter,
            TrackEvents.enter("cam", "dock", 7, 12, 2),
            TrackEvents.enter("cam", "dock", 8, 12, 2),
            TrackEvents.enter("cam", "yard", 7, 12, 2),
            TrackEvents.cross("cam", "dock", 7, 12, 1));
    assertThat(ZoneEventRow.distinct(events)).hasSize(4);
  }
}
