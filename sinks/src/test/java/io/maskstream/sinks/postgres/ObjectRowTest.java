package io.maskstream.sinks.postgres;

import static io.maskstream.schemas.avro.ObjectEventType.END;
import static io.maskstream.schemas.avro.ObjectEventType.NEW;
import static io.maskstream.schemas.avro.ObjectEventType.UPDATE;
import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.schemas.avro.ObjectEvent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ObjectRowTest {
  private static final ObjectEvent NEW_7 = TrackEvents.object(NEW, "cam", 7, 3, 5, List.of());
  private static final ObjectEvent UPDATE_7 =
      TrackEvents.object(UPDATE, "cam", 7, 3, 40, List.of("dock"));
  private static final ObjectEvent END_7 = TrackEvents.object(END, "cam", 7, 3, 90, List.of());

  @Test
  void aNewEventMakesTheRowFromWhatItCarries() {
    ObjectRow row = ObjectRow.of(NEW_7);
    assertThat(row.key()).isEqualTo(new ObjectRow.Key("cam", 7, TrackEvents.time(3)));
    assertThat(row.firstSequence()).isEqualTo(3);
    assertThat(row.lastSequence()).isEqualTo(5);
    assertThat(row.lastTime()).isEqualTo(TrackEvents.time(5));
    assertThat(row.x1()).isEqualTo(5f);
    assertThat(row.ended()).isFalse();
    assertThat(row.endedAtSequence()).isNull();
    assertThat(row.modelName()).isEqualTo("test-model");
    assertThat(row.modelVersion()).isEqualTo("v1");
    assertThat(row.eventSequence()).isEqualTo(5);
  }

  @Test
  void theLifeOfATrackEndsAsItsEndEventSays() {
    ObjectRow row = single(ObjectRow.fold(List.of(NEW_7, UPDATE_7, END_7)));
    assertThat(row.firstSequence()).isEqualTo(3);
    assertThat(row.lastSequence()).isEqualTo(85); // where it was last seen, before it ended
    assertThat(row.lastTime()).isEqualTo(TrackEvents.time(85));
    assertThat(row.ended()).isTrue();
    assertThat(row.endedAtSequence()).isEqualTo(90);
    assertThat(row.eventSequence()).isEqualTo(90);
    assertThat(row.zones()).isEmpty();
  }

  @Test
  void anOlderUpdateDoesNotMoveTheRowBack() {
    ObjectEvent older = TrackEvents.object(UPDATE, "cam", 7, 3, 20, List.of("gate"));
    ObjectRow row = single(ObjectRow.fold(List.of(NEW_7, UPDATE_7, older)));
    assertThat(row.lastSequence()).isEqualTo(40);
    assertThat(row.zones()).containsExactly("dock");
  }

  @Test
  void endedStaysOnceSetEvenWhenALaterEventCameBefore() {
    // an END older than the row's event still ends the row, without moving last-seen back
    ObjectEvent late = TrackEvents.object(UPDATE, "cam", 7, 3, 95, List.of("dock"));
    ObjectRow row = single(ObjectRow.fold(List.of(late, END_7)));
    assertThat(row.ended()).isTrue();
    assertThat(row.endedAtSequence()).isEqualTo(90);
    assertThat(row.lastSequence()).isEqualTo(95);
  }

  @Test
  void anyOrderAndRepeatsGiveTheSameRow() {
    ObjectRow expected = single(ObjectRow.fold(List.of(NEW_7, UPDATE_7, END_7)));
    List<ObjectEvent> events = new ArrayList<>(List.of(NEW_7, UPDATE_7, END_7, UPDATE_7, NEW_7));
    Random random = new Random(42);
    for (int i = 0; i < 20; i++) {
      Collections.shuffle(events, random);
      assertThat(single(ObjectRow.fold(events))).isEqualTo(expected);
    }
  }

  @Test
  void onlyCaptureTimeTiesAreOrderedBySequence() {
    // a camera whose ingest restarted: lower sequence, later capture time, and still newer
    ObjectEvent before = TrackEvents.object(UPDATE, "cam", 7, 3, 40, List.of("dock"));
    ObjectEvent after =
        ObjectEvent.newBuilder(TrackEvents.object(UPDATE, "cam", 7, 3, 2, List.of("gate")))
            .setFrameTime(TrackEvents.time(41))
            .build();
    assertThat(single(ObjectRow.fold(List.of(after, before))).zones()).containsExactly("gate");
  }

  @Test
  void tracksAreKeptApartByCameraIdAndFirstTime() {
    Collection<ObjectRow> rows =
        ObjectRow.fold(
            List.of(
                NEW_7,
                TrackEvents.object(NEW, "other", 7, 3, 5, List.of()),
                TrackEvents.object(NEW, "cam", 8, 3, 5, List.of()),
                TrackEvents.object(NEW, "cam", 7, 1000, 1002, List.of()),
                UPDATE_7));
    assertThat(rows).hasSize(4);
  }

  private static ObjectRow single(Collection<ObjectRow> rows) {
    assertThat(rows).hasSize(1);
    return rows.iterator().next();
  }
}
