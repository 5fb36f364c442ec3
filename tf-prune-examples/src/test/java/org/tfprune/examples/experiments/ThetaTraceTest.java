package org.tfprune.examples.experiments;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ThetaTraceTest {
  private static final ThetaTrace TRACE = new ThetaTrace(ImmutableList.of(
      ImmutableMap.of("a", new float[] {1, 1, 1}, "b", new float[] {1}),
      ImmutableMap.of("a", new float[] {0.5f, 1, 0}, "b", new float[] {1}),
      ImmutableMap.of("a", new float[] {0, 1, 0}, "b", new float[] {0})),
      ImmutableList.of(new double[] {0, 1}));

  @Test
  void trajectoriesFollowOneGateThroughTheEpochs() {
    assertThat(TRACE.groups()).containsExactly("a", "b");
    assertThat(TRACE.trajectory("a", 0)).containsExactly(1, 0.5, 0);
    assertThat(TRACE.trajectory("b", 0)).containsExactly(1, 1, 0);
  }

  @Test
  void samplesAtMostTheAskedNumberOfGatesPerGroupReproducibly() {
    Map<String, Map<Integer, double[]>> s = TRACE.sample(2, 7);
    assertThat(s.get("a")).hasSize(2);
    assertThat(s.get("b")).containsOnlyKeys(0);
    assertThat(TRACE.sample(2, 7).get("a").keySet()).isEqualTo(s.get("a").keySet());
  }
}
