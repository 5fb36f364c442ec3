package org.tfprune.examples.experiments;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ParetoFrontTest {
  private static RunSummary run(String label, long macs, double accuracy) {
    return new RunSummary(label, "complexity-aware", "m", "d", 1, 1, 0.5, "s", "w", macs, macs,
        macs, macs, accuracy, 1.0, true, 1, 1, 1, ImmutableList.of());
  }

  @Test
  void keepsRunsThatNoOtherRunBeatsInBothMacsAndAccuracy() {
    RunSummary small = run("small", 10, 0.90);
    RunSummary dominated = run("dominated", 20, 0.89);
    RunSummary mid = run("mid", 30, 0.95);
    RunSummary big = run("big", 100, 0.97);
    RunSummary sameMacsWorse = run("same", 30, 0.94);
    assertThat(TradeoffSuite.paretoFront(List.of(big, dominated, small, sameMacsWorse, mid)))
        .containsExactly(small, mid, big);
  }
}
