package org.tfprune.examples.experiments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ExperimentPlanTest {
  @Test
  void fullHoldsTheIssueBoundsAndQuickLooserOnes() {
    ExperimentPlan full = ExperimentPlan.named("full");
    assertThat(full.thresholds()).isEqualTo(ClaimThresholds.full());
    assertThat(full.seeds()).hasSize(5);
    assertThat(full.widths()).containsExactly(1.0, 2.0, 4.0);
    assertThat(full.mlp().trainLimit()).isZero();
    ExperimentPlan quick = ExperimentPlan.named("quick");
    assertThat(quick.thresholds().macsCv()).isGreaterThan(full.thresholds().macsCv());
    assertThat(quick.mlp().trainLimit()).isPositive();
    assertThatThrownBy(() -> ExperimentPlan.named("huge")).hasMessageContaining("quick or full");
  }

  @Test
  void overridesKeepTheRestAndFineTuneTheLastQuarter() {
    ExperimentPlan p = ExperimentPlan.full().withMlpEpochs(60).withSeeds(2)
        .withRobustness(List.of(1.0, 2.0), List.of("mnist")).withConvTrainLimit(20_000)
        .withBaselineSeeds(1);
    assertThat(p.mlp().epochs()).isEqualTo(60);
    assertThat(p.mlp().finetuneEpochs()).isEqualTo(15);
    assertThat(p.seeds()).containsExactly(1L, 2L);
    assertThat(p.widths()).containsExactly(1.0, 2.0);
    assertThat(p.robustnessDatasets()).containsExactly("mnist");
    assertThat(p.conv().trainLimit()).isEqualTo(20_000);
    assertThat(p.conv().epochs()).isEqualTo(ExperimentPlan.full().conv().epochs());
    assertThat(p.baselineSeeds()).containsExactly(1L);
    assertThatThrownBy(() -> p.withSeeds(0)).hasMessageContaining("at least one seed");
  }

  @Test
  void suitesAreSelectedByNameAndRunInTheirCanonicalOrder() {
    assertThat(Suites.select("all")).hasSize(6);
    assertThat(Suites.select("knobs, robustness").stream().map(Suite::name))
        .containsExactly("robustness", "knobs");
    assertThatThrownBy(() -> Suites.select("speed")).hasMessageContaining("unknown suite 'speed'")
        .hasMessageContaining("baselines");
  }
}
