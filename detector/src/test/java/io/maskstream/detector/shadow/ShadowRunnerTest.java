package io.maskstream.detector.shadow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.maskstream.detector.DetectorConfig;
import io.maskstream.detector.Fixtures;
import io.maskstream.detector.Segmentation;
import io.maskstream.detector.image.DecodedImage;
import io.maskstream.detector.image.FrameLimits;
import io.maskstream.detector.image.ImageDecoder;
import io.maskstream.detector.model.Device;
import io.maskstream.detector.model.OnnxMaskRcnn;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The runner beside a serving model: the sample, the comparison, a candidate that fails. */
class ShadowRunnerTest {
  private static final DetectorConfig CONFIG =
      DetectorConfig.builder()
          .model(Fixtures.model())
          .device(Device.CPU)
          .intraOpThreads(1)
          .scoreThreshold(0.1f)
          .build();

  @Test
  void theModelBesideItselfAgreesOnEverySampledFrameAndAFailingCandidateIsStopped()
      throws Exception {
    DecodedImage image =
        ImageDecoder.decode(Files.readAllBytes(Fixtures.path("image2.png")), FrameLimits.DEFAULTS);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Segmentation serving;
    try (OnnxMaskRcnn model = OnnxMaskRcnn.load(CONFIG)) {
      serving = model.segment(image, 0f);
    }
    assertThat(serving.instances()).isNotEmpty();

    OnnxMaskRcnn candidate = OnnxMaskRcnn.load(CONFIG);
    ShadowRunner runner = new ShadowRunner(candidate, "shapes", 0.5, registry);
    try {
      // one frame in two is sampled; each waits for the previous one so that none is dropped
      for (int i = 1; i <= 2; i++) {
        runner.offer(image, serving); // left out: half a frame of credit
        runner.offer(image, serving); // sampled
        long compared = i;
        await().atMost(Duration.ofMinutes(1)).until(() -> runner.totals().compared() == compared);
      }
      await().atMost(Duration.ofMinutes(1)).until(() -> runner.totals().compared() == 2);
      ShadowTotals t = runner.totals();
      assertThat(t.sampled()).isEqualTo(2);
      assertThat(t.dropped()).isZero();
      assertThat(t.serving()).isEqualTo(2L * serving.instances().size());
      assertThat(t.matched()).isEqualTo(t.serving()).isEqualTo(t.candidate());
      assertThat(t.meanMaskIou()).isEqualTo(1.0);
      assertThat(
              registry
                  .get("maskstream.detector.shadow.frames")
                  .tags("result", "compared")
                  .counter()
                  .count())
          .isEqualTo(2);

      // the candidate's session gone: the next sampled frame fails it, and it stops
      candidate.close();
      runner.offer(image, serving);
      runner.offer(image, serving);
      await().atMost(Duration.ofMinutes(1)).until(() -> !runner.running());
      assertThat(runner.failure()).contains("IllegalStateException", "is closed");
      runner.offer(image, serving);
      runner.offer(image, serving);
      assertThat(runner.totals().sampled()).isEqualTo(3);
    } finally {
      runner.close();
    }
    assertThat(registry.find("maskstream.detector.shadow.frames").counters()).isEmpty();
  }
}
