package io.maskstream.sinks.postgres;

import io.maskstream.schemas.avro.ClassCount;
import io.maskstream.schemas.avro.CrossingCount;
import io.maskstream.schemas.avro.ModelRef;
import io.maskstream.schemas.avro.ObjectBox;
import io.maskstream.schemas.avro.ObjectEvent;
import io.maskstream.schemas.avro.ObjectEventType;
import io.maskstream.schemas.avro.ZoneEvent;
import io.maskstream.schemas.avro.ZoneEventType;
import io.maskstream.schemas.internal.TrustedClasses;
import io.maskstream.sinks.EventSamples;
import java.time.Instant;
import java.util.List;

/** Object and zone events made up for tests; frame {@code n} is captured at T0 + 66 n ms. */
final class TrackEvents {
  static {
    TrustedClasses.install(); // the builders read the schemas' defaults into generated classes
  }

  private TrackEvents() {}

  static Instant time(long sequence) {
    return EventSamples.T0.plusMillis(sequence * 66);
  }

  /**
   * An event of track {@code trackId} first seen in frame {@code first}, raised by frame {@code at}
   * and last seen there (for END: 5 frames earlier), its box moving 1 px per frame.
   */
  static ObjectEvent object(
      ObjectEventType type, String camera, long trackId, long first, long at, List<String> zones) {
    long last = type == ObjectEventType.END ? at - 5 : at;
    return ObjectEvent.newBuilder()
        .setType(type)
        .setCamera(camera)
        .setTrackId(trackId)
        .setLabel("car")
        .setScore(0.5f + 0.001f * at)
        .setTopScore(0.6f + 0.001f * at)
        .setBox(new ObjectBox((float) last, 10f, last + 20f, 30f))
        .setFirstSequence(first)
        .setLastSequence(last)
        .setFirstTime(time(first))
        .setLastTime(time(last))
        .setFrameSequence(at)
        .setFrameTime(time(at))
        .setStationary(type == ObjectEventType.UPDATE)
        .setModel(new ModelRef("test-model", "v1"))
        .setZones(zones)
        .setEnteredZones(zones)
        .build();
  }

  /** An ENTER of {@code zone} by track {@code trackId} in frame {@code at}, {@code inside} cars. */
  static ZoneEvent enter(String camera, String zone, long trackId, long at, long inside) {
    return ZoneEvent.newBuilder()
        .setType(ZoneEventType.ENTER)
        .setCamera(camera)
        .setZone(zone)
        .setTrackId(trackId)
        .setLabel("car")
        .setFrameSequence(at)
        .setFrameTime(time(at))
        .setEnteredTime(time(at))
        .setOccupancy(List.of(new ClassCount("car", inside), new ClassCount("person", 1L)))
        .build();
  }

  /** A CROSS of {@code line} by track {@code trackId} in frame {@code at}, the n-th inward. */
  static ZoneEvent cross(String camera, String line, long trackId, long at, long n) {
    return ZoneEvent.newBuilder()
        .setType(ZoneEventType.CROSS)
        .setCamera(camera)
        .setZone(line)
        .setTrackId(trackId)
        .setLabel("car")
        .setDirection("in")
        .setFrameSequence(at)
        .setFrameTime(time(at))
        .setCrossings(
            List.of(new CrossingCount("car", "in", n), new CrossingCount("car", "out", 2L)))
        .build();
  }
}
