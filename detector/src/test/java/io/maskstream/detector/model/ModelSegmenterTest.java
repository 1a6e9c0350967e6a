package io.maskstream.detector.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.maskstream.detector.DetectorConfig;
import io.maskstream.detector.Fixtures;
import io.maskstream.detector.Segmentation;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ModelSegmenterTest {
  @Test
  void manyThreadsShareOneSessionWhileModelsAreSwapped() throws Exception {
    DetectorConfig config =
        DetectorConfig.builder()
            .model(Fixtures.model())
            .device(Device.CPU)
            .intraOpThreads(1)
            .scoreThreshold(0.1f)
            .build();
    byte[] png = Files.readAllBytes(Fixtures.path("image2.png"));
    ModelSegmenter segmenter = ModelSegmenter.open(config);
    Segmentation reference = segmenter.segment(png);
    List<OnnxMaskRcnn> replaced = new ArrayList<>();
    replaced.add(segmenter.currentModel());
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < 6; t++) {
        results.add(
            pool.submit(
                () -> {
                  int ok = 0;
                  for (int i = 0; i < 4; i++) {
                    Segmentation s = segmenter.segment(png);
                    assertThat(s.instances()).hasSameSizeAs(reference.instances());
                    ok++;
                  }
                  return ok;
                }));
      }
      for (int swap = 0; swap < 2; swap++) {
        OnnxMaskRcnn next = OnnxMaskRcnn.load(config);
        segmenter.swapTo(next);
        replaced.add(next);
      }
      for (Future<Integer> f : results) {
        assertThat(f.get(5, TimeUnit.MINUTES)).isEqualTo(4);
      }
    } finally {
      pool.shutdownNow();
    }
    OnnxMaskRcnn serving = segmenter.currentModel();
    segmenter.close();
    for (OnnxMaskRcnn m : replaced) {
      // every model is closed once its calls are done: using one throws
      assertThatThrownBy(
              () -> m.segment(new io.maskstream.detector.image.DecodedImage(1, 1, new byte[3]), 0f))
          .isInstanceOf(IllegalStateException.class);
    }
    assertThat(replaced).contains(serving);
    assertThatThrownBy(() -> segmenter.segment(png)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aSwapAfterCloseIsRefusedAndAClosedSegmenterThrowsInsteadOfWaiting() throws Exception {
    DetectorConfig config =
        DetectorConfig.builder()
            .model(Fixtures.model())
            .device(Device.CPU)
            .intraOpThreads(1)
            .build();
    byte[] png = Files.readAllBytes(Fixtures.path("image2.png"));
    ModelSegmenter segmenter = ModelSegmenter.open(config);
    segmenter.close();
    OnnxMaskRcnn late = OnnxMaskRcnn.load(config);
    assertThatThrownBy(() -> segmenter.swapTo(late))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    // the refused model is closed, not left serving
    assertThatThrownBy(
            () ->
                late.segment(new io.maskstream.detector.image.DecodedImage(1, 1, new byte[3]), 0f))
        .isInstanceOf(IllegalStateException.class);
    ExecutorService caller = Executors.newSingleThreadExecutor();
    try {
      Future<?> call = caller.submit(() -> segmenter.segment(png));
      assertThatThrownBy(() -> call.get(10, TimeUnit.SECONDS))
          .hasCauseInstanceOf(IllegalStateException.class);
    } finally {
      caller.shutdownNow();
    }
  }
}
