package io.maskstream.schemas.internal;

import io.maskstream.schemas.avro.Box;
import io.maskstream.schemas.avro.Camera;
import io.maskstream.schemas.avro.CameraRunState;
import io.maskstream.schemas.avro.CameraStatus;
import io.maskstream.schemas.avro.ClassAp;
import io.maskstream.schemas.avro.ClassCount;
import io.maskstream.schemas.avro.CrossingCount;
import io.maskstream.schemas.avro.DeadLetter;
import io.maskstream.schemas.avro.Detection;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.Frame;
import io.maskstream.schemas.avro.FrameRef;
import io.maskstream.schemas.avro.GateFigures;
import io.maskstream.schemas.avro.GateResult;
import io.maskstream.schemas.avro.ImageEncoding;
import io.maskstream.schemas.avro.InstanceMask;
import io.maskstream.schemas.avro.Keypoint;
import io.maskstream.schemas.avro.LineDefinition;
import io.maskstream.schemas.avro.LineTotal;
import io.maskstream.schemas.avro.Masks;
import io.maskstream.schemas.avro.ModelAnnouncement;
import io.maskstream.schemas.avro.ModelContract;
import io.maskstream.schemas.avro.ModelRef;
import io.maskstream.schemas.avro.ModelServing;
import io.maskstream.schemas.avro.ObjectBox;
import io.maskstream.schemas.avro.ObjectEvent;
import io.maskstream.schemas.avro.ObjectEventType;
import io.maskstream.schemas.avro.Point;
import io.maskstream.schemas.avro.Presence;
import io.maskstream.schemas.avro.Rle;
import io.maskstream.schemas.avro.Timings;
import io.maskstream.schemas.avro.TrackSnapshot;
import io.maskstream.schemas.avro.TrackState;
import io.maskstream.schemas.avro.TrackerSnapshot;
import io.maskstream.schemas.avro.ZoneAnchor;
import io.maskstream.schemas.avro.ZoneDefinition;
import io.maskstream.schemas.avro.ZoneEvent;
import io.maskstream.schemas.avro.ZoneEventType;
import io.maskstream.schemas.avro.ZoneSet;
import io.maskstream.schemas.avro.ZoneState;
import org.apache.avro.util.ClassSecurityValidator;

/**
 * Adds the generated event classes to Avro's trusted classes.
 *
 * <p>Avro 1.12.2 refuses to instantiate any class that is not trusted while decoding into generated
 * classes (AVRO-4189), unless {@code org.apache.avro.SERIALIZABLE_PACKAGES} is set on the command
 * line. Trusting exactly our own classes here keeps every entry point (tests, Kafka Streams, the
 * CLI) working without a JVM flag and without widening trust to anything else.
 */
public final class TrustedClasses {
  private static boolean installed;

  private TrustedClasses() {}

  /** Idempotently composes our classes with whatever predicate is already global. */
  public static synchronized void install() {
    if (installed) {
      return;
    }
    ClassSecurityValidator.setGlobal(
        ClassSecurityValidator.composite(
            ClassSecurityValidator.getGlobal(),
            ClassSecurityValidator.builder()
                .add(Frame.class)
                .add(ImageEncoding.class)
                .add(FrameRef.class)
                .add(ModelRef.class)
                .add(Detections.class)
                .add(Timings.class)
                .add(Detection.class)
                .add(Box.class)
                .add(Keypoint.class)
                .add(Masks.class)
                .add(InstanceMask.class)
                .add(Rle.class)
                .add(ModelAnnouncement.class)
                .add(ModelContract.class)
                .add(GateResult.class)
                .add(GateFigures.class)
                .add(ClassAp.class)
                .add(ModelServing.class)
                .add(io.maskstream.schemas.avro.ShadowCandidate.class)
                .add(io.maskstream.schemas.avro.ShadowReport.class)
                .add(io.maskstream.schemas.avro.ShadowState.class)
                .add(io.maskstream.schemas.avro.ShadowClassCounts.class)
                .add(DeadLetter.class)
                .add(TrackerSnapshot.class)
                .add(ObjectEvent.class)
                .add(ObjectEventType.class)
                .add(ObjectBox.class)
                .add(TrackSnapshot.class)
                .add(TrackState.class)
                .add(ZoneSet.class)
                .add(ZoneDefinition.class)
                .add(LineDefinition.class)
                .add(Point.class)
                .add(ZoneAnchor.class)
                .add(ZoneEvent.class)
                .add(ZoneEventType.class)
                .add(ClassCount.class)
                .add(CrossingCount.class)
                .add(ZoneState.class)
                .add(Presence.class)
                .add(LineTotal.class)
                .add(Camera.class)
                .add(CameraStatus.class)
                .add(CameraRunState.class)
                .build()));
    installed = true;
  }
}
