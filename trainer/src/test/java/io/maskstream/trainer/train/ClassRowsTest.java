package io.maskstream.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ClassRowsTest {
  static final List<String> BEFORE = List.of("__background__", "square", "circle", "star");
  static final List<String> NOW = List.of("__background__", "star", "square", "cross", "circle");

  @Test
  void classesMeetByNameAndTheBackgroundStaysFirst() {
    assertThat(ClassRows.mapping(BEFORE, NOW)).containsExactly(0, 3, 1, -1, 2);
    assertThat(ClassRows.added(BEFORE, NOW)).containsExactly("cross");
    assertThat(ClassRows.added(NOW, BEFORE)).isEmpty();
  }

  @Test
  void rowsOfKnownClassesAreCarriedAndNewClassesKeepTheirInitialisation() {
    // one row of two values per class: the class's index before, times 10
    float[] initial = {0, 0, 10, 11, 20, 21, 30, 31};
    float[] fresh = {-1, -1, -2, -2, -3, -3, -4, -4, -5, -5};
    float[] carried =
        ClassRows.carry("roi_heads.box_predictor.cls_score.weight", initial, BEFORE, fresh, NOW);
    assertThat(carried).containsExactly(0, 0, 30, 31, 10, 11, -4, -4, 20, 21);
    assertThat(fresh[2]).as("the network's own values are not changed").isEqualTo(-2);
  }

  @Test
  void boxRegressionHasFourRowsPerClass() {
    float[] initial = new float[4 * BEFORE.size()];
    for (int i = 0; i < initial.length; i++) {
      initial[i] = 100 + i;
    }
    float[] fresh = new float[4 * NOW.size()];
    float[] carried =
        ClassRows.carry("roi_heads.box_predictor.bbox_pred.bias", initial, BEFORE, fresh, NOW);
    // star (3 before, 1 now), then square (1 before, 2 now), cross new, circle (2 before, 4 now)
    assertThat(carried)
        .containsExactly(
            100, 101, 102, 103, 112, 113, 114, 115, 104, 105, 106, 107, 0, 0, 0, 0, 108, 109, 110,
            111);
  }

  @Test
  void sizesThatDoNotFitTheClassListsAreRefused() {
    assertThatThrownBy(
            () ->
                ClassRows.carry(
                    "roi_heads.mask_predictor.mask_fcn_logits.bias",
                    new float[3],
                    BEFORE,
                    new float[5],
                    NOW))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(ClassRows.isClassIndexed("roi_heads.box_predictor.cls_score.weight")).isTrue();
    assertThat(ClassRows.isClassIndexed("backbone.body.conv1.weight")).isFalse();
  }
}
