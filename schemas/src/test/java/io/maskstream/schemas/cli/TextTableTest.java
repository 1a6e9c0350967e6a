package io.maskstream.schemas.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TextTableTest {
  @Test
  void columnsAreAsWideAsTheirWidestCellAndNumbersAlignRight() {
    TextTable table = new TextTable(List.of("class", "AP", "note"), 1);
    table.add("square", "0.214", "x").add("all", "1.000").add("hexagon", "-0.012", "");
    assertThat(table.lines("  "))
        .containsExactly(
            "  class        AP  note",
            "  square    0.214  x",
            "  all       1.000",
            "  hexagon  -0.012");
  }

  @Test
  void moreCellsThanColumnsAreRefused() {
    assertThatThrownBy(() -> new TextTable(List.of("a")).add("1", "2"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
