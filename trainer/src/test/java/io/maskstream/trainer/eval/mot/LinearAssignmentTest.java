package io.maskstream.trainer.eval.mot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The solver picks SciPy's assignment, ties included (answers in mot/lsap.json). */
class LinearAssignmentTest {
  @Test
  void matchesScipyOnEveryCommittedMatrix() throws Exception {
    JsonNode cases =
        new ObjectMapper()
            .readTree(Path.of(getClass().getResource("/mot/lsap.json").toURI()).toFile());
    assertThat(cases.size()).isGreaterThan(200);
    int k = 0;
    for (JsonNode c : cases) {
      double[][] cost = new double[c.get("cost").size()][];
      for (int i = 0; i < cost.length; i++) {
        JsonNode row = c.get("cost").get(i);
        cost[i] = new double[row.size()];
        for (int j = 0; j < row.size(); j++) {
          cost[i][j] = row.get(j).asDouble();
        }
      }
      int[][] got = LinearAssignment.solve(cost);
      assertThat(got[0]).as("rows of case %d", k).containsExactly(ints(c.get("rows")));
      assertThat(got[1]).as("cols of case %d", k).containsExactly(ints(c.get("cols")));
      k++;
    }
  }

  @Test
  void constantCostGivesTheIdentityAndEmptyGivesNothing() {
    int[][] got = LinearAssignment.solve(new double[][] {{1, 1, 1}, {1, 1, 1}});
    assertThat(got[0]).containsExactly(0, 1);
    assertThat(got[1]).containsExactly(0, 1);
    assertThat(LinearAssignment.solve(new double[0][0])[0]).isEmpty();
    assertThat(LinearAssignment.solve(new double[][] {{}})[0]).isEmpty();
  }

  private static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asInt();
    }
    return out;
  }
}
