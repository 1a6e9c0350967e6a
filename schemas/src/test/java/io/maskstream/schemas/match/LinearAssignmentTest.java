package io.maskstream.schemas.match;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The solver picks SciPy's assignment, ties included (answers in match/lsap.json). */
class LinearAssignmentTest {
  @Test
  void matchesScipyOnEveryCommittedMatrix() throws Exception {
    JsonNode cases =
        new ObjectMapper()
            .readTree(Path.of(getClass().getResource("/match/lsap.json").toURI()).toFile());
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

  @Test
  void withALimitItFindsTheBestPartialMatchingOfExhaustiveSearch() {
    java.util.Random random = new java.util.Random(7);
    for (int round = 0; round < 400; round++) {
      int rows = random.nextInt(6);
      int cols = random.nextInt(6);
      double limit = 0.2 + random.nextDouble();
      double[][] cost = new double[rows][cols];
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
          cost[i][j] = random.nextInt(10) == 0 ? Double.POSITIVE_INFINITY : random.nextDouble();
        }
      }
      int[] match = LinearAssignment.solve(cost, limit);
      assertThat(match).hasSize(rows);
      boolean[] taken = new boolean[cols];
      double total = 0;
      for (int i = 0; i < rows; i++) {
        if (match[i] >= 0) {
          assertThat(taken[match[i]]).as("column used twice").isFalse();
          taken[match[i]] = true;
          assertThat(cost[i][match[i]]).isLessThan(limit);
          total += cost[i][match[i]] - limit;
        }
      }
      assertThat(total)
          .as("round %d", round)
          .isCloseTo(
              best(cost, limit, 0, new boolean[cols]), org.assertj.core.data.Offset.offset(1e-9));
    }
  }

  @Test
  void withALimitEmptyAndOneSidedMatricesWork() {
    assertThat(LinearAssignment.solve(new double[0][0], 1)).isEmpty();
    assertThat(LinearAssignment.solve(new double[3][0], 1)).containsExactly(-1, -1, -1);
    assertThat(LinearAssignment.solve(new double[][] {{0.9, 0.1}}, 0.5)).containsExactly(1);
    assertThat(LinearAssignment.solve(new double[][] {{0.9}, {0.1}}, 0.5)).containsExactly(-1, 0);
  }

  /** The smallest sum of cost - limit over partial matchings of rows from {@code row} on. */
  private static double best(double[][] cost, double limit, int row, boolean[] taken) {
    if (row == cost.length) {
      return 0;
    }
    double b = best(cost, limit, row + 1, taken);
    for (int j = 0; j < taken.length; j++) {
      if (!taken[j] && cost[row][j] < limit) {
        taken[j] = true;
        b = Math.min(b, cost[row][j] - limit + best(cost, limit, row + 1, taken));
        taken[j] = false;
      }
    }
    return b;
  }
}
