package io.maskstream.schemas;

import io.maskstream.schemas.avro.Box;
import io.maskstream.schemas.avro.DeadLetter;
import io.maskstream.schemas.avro.Detection;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.Frame;
import io.maskstream.schemas.avro.FrameRef;
import io.maskstream.schemas.avro.ImageEncoding;
import io.maskstream.schemas.avro.InstanceMask;
import io.maskstream.schemas.avro.Masks;
import io.maskstream.schemas.avro.ModelAnnouncement;
import io.maskstream.schemas.avro.ModelContract;
import io.maskstream.schemas.avro.ModelRef;
import io.maskstream.schemas.avro.Rle;
import io.maskstream.schemas.avro.Timings;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Fully populated sample events for serde tests. */
final class Samples {
  static final Instant T0 = Instant.ofEpochMilli(1_764_072_000_123L);

  private Samples() {}

  static Frame frame() {
    return Frame.newBuilder()
        .setCamera("gate-1")
        .setSequence(42)
        .setCaptureTime(T0)
        .setWidth(640)
        .setHeight(480)
        .setEncoding(ImageEncoding.JPEG)
        .setImage(ByteBuffer.wrap(new byte[] {(byte) 0xff, (byte) 0xd8, 1, 2, 3}))
        .setPresentationTime(1_000_000L)
        .build();
  }

  static FrameRef frameRef() {
    return FrameRef.newBuilder()
        .setCamera("gate-1")
        .setSequence(42)
        .setCaptureTime(T0)
        .setWidth(640)
        .setHeight(480)
        .build();
  }

  static ModelRef modelRef() {
    return ModelRef.newBuilder().setName("shapes").setVersion("3f2a9c01b7de").build();
  }

  static Detections detections() {
    return Detections.newBuilder()
        .setFrame(frameRef())
        .setModel(modelRef())
        .setTimings(
            Timings.newBuilder()
                .setDecodeMs(1.5f)
                .setPreprocessMs(2f)
                .setInferenceMs(95f)
                .setPostprocessMs(3f)
                .setProcessedTime(T0.plusMillis(120))
                .build())
        .setDetections(
            List.of(
                Detection.newBuilder()
                    .setClassId(1)
                    .setLabel("<script>person</script>")
                    .setScore(0.98f)
                    .setBox(Box.newBuilder().setX1(1).setY1(2).setX2(30).setY2(40).build())
                    .build()))
        .build();
  }

  static Masks masks() {
    return Masks.newBuilder()
        .setFrame(frameRef())
        .setModel(modelRef())
        .setMasks(
            List.of(
                InstanceMask.newBuilder()
                    .setDetectionIndex(0)
                    .setRle(Rle.newBuilder().setHeight(5).setWidth(7).setCounts("0S1").build())
                    .build()))
        .build();
  }

  static ModelAnnouncement announcement() {
    return ModelAnnouncement.newBuilder()
        .setName("shapes")
        .setVersion("3f2a9c01b7de")
        .setLocation("kafka://maskstream.model-store/3f2a")
        .setSha256("3f2a9c01b7de")
        .setSizeBytes(123)
        .setContract(ModelContract.TORCHVISION)
        .setClasses(List.of("background", "square"))
        .setMetrics(Map.of("segm_AP", 0.5))
        .setProvenance(Map.of("preset", "tiny"))
        .setPublishedTime(T0)
        .build();
  }

  static DeadLetter deadLetter() {
    return DeadLetter.newBuilder()
        .setSourceTopic("maskstream.frames")
        .setSourcePartition(1)
        .setSourceOffset(7)
        .setKey(ByteBuffer.wrap("gate-1".getBytes()))
        .setValue(ByteBuffer.wrap(new byte[] {1, 2, 3}))
        .setStage("detect")
        .setReason("JPEG cannot be decoded")
        .setErrorType("java.io.IOException")
        .setFailedTime(T0)
        .setHeaders(Map.of())
        .build();
  }
}
