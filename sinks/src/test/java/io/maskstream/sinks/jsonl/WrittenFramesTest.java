package io.maskstream.sinks.jsonl;

import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.FrameRef;
import io.maskstream.schemas.avro.Masks;
import io.maskstream.schemas.internal.TrustedClasses;
import io.maskstream.sinks.EventSamples;
import io.maskstream.sinks.join.EventJoiner;
import io.maskstream.sinks.join.JoinedFrame;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WrittenFramesTest {
  private static JoinedFrame<String> frame(String camera, long sequence, String version) {
    Detections d = EventSamples.detections(camera, sequence, version, 1, "person");
    EventJoiner<String> joiner = new EventJoiner<>(Duration.ofSeconds(10), 100);
    joiner.offer(d, "d", 0);
    return joiner.offer(EventSamples.masks(camera, sequence, version, 1), "m", 0);
  }

  @Test
  void framesOfTheNewestFilesAreKnownOnceAndOlderFilesAreNotRead(@TempDir Path dir)
      throws Exception {
    JoinedFrame<String> old = frame("gate", 1, "v1");
    JoinedFrame<String> recent = frame("gate", 2, "v1");
    JoinedFrame<String> newest = frame("lobby", 2, "v1");
    Path oldFile =
        Files.writeString(dir.resolve("frames-a.jsonl"), CocoFrameJson.format(old) + "\n");
    Files.setLastModifiedTime(oldFile, FileTime.from(Instant.now().minusSeconds(600)));
    Files.writeString(dir.resolve("frames-b.jsonl"), CocoFrameJson.format(recent) + "\n");
    // the newest file ends in a line cut by a crash
    String cut = CocoFrameJson.format(frame("lobby", 3, "v1"));
    Files.writeString(
        dir.resolve("frames-c.jsonl"),
        CocoFrameJson.format(newest) + "\n" + cut.substring(0, cut.length() / 2));
    Files.writeString(dir.resolve("other-d.jsonl"), CocoFrameJson.format(frame("x", 1, "v1")));

    WrittenFrames written = WrittenFrames.read(dir, "frames", Duration.ofSeconds(70));

    assertThat(written.files()).isEqualTo(2);
    assertThat(written.size()).isEqualTo(2);
    assertThat(written.consume(old)).as("in a file older than the window").isFalse();
    assertThat(written.consume(frame("lobby", 3, "v1"))).as("its line was cut").isFalse();
    assertThat(written.consume(frame("gate", 2, "v2"))).as("another model version").isFalse();
    assertThat(written.consume(recent)).isTrue();
    assertThat(written.consume(recent)).as("known once").isFalse();
    assertThat(written.consume(newest)).isTrue();
    assertThat(written.size()).isZero();
  }

  @Test
  void aFrameWithTheSameSequenceButAnotherCaptureTimeIsNew(@TempDir Path dir) throws Exception {
    JoinedFrame<String> before = frame("gate", 5, "v1");
    Files.writeString(dir.resolve("frames-a.jsonl"), CocoFrameJson.format(before) + "\n");
    WrittenFrames written = WrittenFrames.read(dir, "frames", Duration.ofSeconds(70));

    TrustedClasses.install();
    Detections first = EventSamples.detections("gate", 5, "v1", 1, "person");
    FrameRef laterFrame =
        FrameRef.newBuilder(first.getFrame())
            .setCaptureTime(first.getFrame().getCaptureTime().plusSeconds(3600))
            .build();
    Detections later = Detections.newBuilder(first).setFrame(laterFrame).build();
    Masks masks =
        Masks.newBuilder(EventSamples.masks("gate", 5, "v1", 1)).setFrame(laterFrame).build();
    EventJoiner<String> joiner = new EventJoiner<>(Duration.ofSeconds(10), 100);
    joiner.offer(later, "d", 0);
    JoinedFrame<String> again = joiner.offer(masks, "m", 0);

    assertThat(again).isNotNull();
    assertThat(written.consume(again))
        .as("sequences start again after an ingest restart")
        .isFalse();
    assertThat(written.consume(before)).isTrue();
  }

  @Test
  void aMissingFolderKnowsNothing(@TempDir Path dir) throws Exception {
    WrittenFrames written =
        WrittenFrames.read(dir.resolve("not-yet"), "frames", Duration.ofSeconds(70));
    assertThat(written.size()).isZero();
    assertThat(written.consume(frame("gate", 1, "v1"))).isFalse();
  }
}
