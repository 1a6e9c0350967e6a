package io.maskstream.detector.gate;

import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.schemas.avro.ClassAp;
import io.maskstream.schemas.avro.GateFigures;
import io.maskstream.schemas.avro.GateResult;
import io.maskstream.schemas.internal.TrustedClasses;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class GateVerdictTest {
  @BeforeAll
  static void trust() {
    TrustedClasses.install();
  }

  static GateFigures figures(double box, double mask, Object... perClass) {
    List<ClassAp> classes = new java.util.ArrayList<>();
    for (int i = 0; i < perClass.length; i += 3) {
      classes.add(
          ClassAp.newBuilder()
              .setName((String) perClass[i])
              .setBoxAp((Double) perClass[i + 1])
              .setMaskAp((Double) perClass[i + 2])
              .build());
    }
    return GateFigures.newBuilder().setBoxAp(box).setMaskAp(mask).setClasses(classes).build();
  }

  @Test
  void aCandidatePassesWhenNeitherApIsLowerByMoreThanTheMargin() {
    GateFigures now = figures(0.300, 0.250);
    assertThat(GateVerdict.judge("d", 10, "v1", now, figures(0.290, 0.240), 0.01).getPassed())
        .as("both exactly at the margin")
        .isTrue();
    assertThat(GateVerdict.judge("d", 10, "v1", now, figures(0.350, 0.239), 0.01).getPassed())
        .as("mask AP beyond the margin, however much better the boxes")
        .isFalse();
    assertThat(GateVerdict.judge("d", 10, "v1", now, figures(0.2899, 0.260), 0.01).getPassed())
        .as("box AP beyond the margin")
        .isFalse();
    assertThat(GateVerdict.judge("d", 10, "v1", now, figures(0.2, 0.2), 0.2).getPassed()).isTrue();
    assertThat(GateVerdict.judge("d", 10, "v1", now, figures(0.299, 0.25), 0).getPassed())
        .isFalse();
  }

  @Test
  void withNothingAnnouncedTheFirstVersionPasses() {
    GateResult r = GateVerdict.judge("/data/val", 20, null, null, figures(0.01, 0.0), 0.01);
    assertThat(r.getPassed()).isTrue();
    assertThat(r.getServingVersion()).isNull();
    assertThat(r.getServing()).isNull();
    assertThat(GateVerdict.summary(r, "shapes"))
        .isEqualTo("passed: the first version of shapes (box AP 0.010, mask AP 0.000)");
    assertThat(GateVerdict.table(r, "shapes", "c9f0"))
        .containsExactly(
            "gate on /data/val (20 images): shapes@c9f0; no version of shapes is announced, so"
                + " there is nothing to compare",
            "  CLASS  BOX AP  MASK AP",
            "  all     0.010    0.000");
  }

  @Test
  void theTableComparesOverallAndPerClassAndTheSummarySaysWhatFailed() {
    GateResult r =
        GateVerdict.judge(
            "/data/val",
            200,
            "799271b53b24",
            figures(0.214, 0.193, "square", 0.3, 0.25, "circle", 0.128, 0.136),
            figures(0.020, 0.190, "square", 0.03, 0.2, "circle", 0.01, 0.18),
            0.01);
    assertThat(GateVerdict.table(r, "shapes", "c9f086ade55b"))
        .containsExactly(
            "gate on /data/val (200 images): candidate shapes@c9f086ade55b against"
                + " shapes@799271b53b24 announced now, margin 0.010",
            "  CLASS   BOX AP NOW  CANDIDATE   DELTA  MASK AP NOW  CANDIDATE   DELTA",
            "  all          0.214      0.020  -0.194        0.193      0.190  -0.003",
            "  square       0.300      0.030  -0.270        0.250      0.200  -0.050",
            "  circle       0.128      0.010  -0.118        0.136      0.180  +0.044");
    assertThat(GateVerdict.summary(r, "shapes"))
        .isEqualTo(
            "refused by the gate: box AP 0.020 is 0.194 lower than shapes@799271b53b24, beyond the"
                + " margin 0.010");
    GateResult forced = GateResult.newBuilder(r).setForced(true).build();
    assertThat(GateVerdict.summary(forced, "shapes"))
        .startsWith("refused by the gate but published with --force: box AP 0.020");
    GateResult better =
        GateVerdict.judge("/d", 1, "7992", figures(0.1, 0.1), figures(0.15, 0.095), 0.01);
    assertThat(GateVerdict.summary(better, "shapes"))
        .isEqualTo("passed: box AP +0.050, mask AP -0.005 against shapes@7992 (margin 0.010)");
  }
}
