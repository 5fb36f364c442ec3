package org.tfprune.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.InputSpec;

class BudgetControllerTest {
  /**
   * A toy pruning run: each of 400 structures has a strength above which its gate is pushed shut
   * (log-uniform between {@code lo} and {@code hi}); theta moves by Adam-sized steps of at most
   * 0.01 towards 0 or 1 depending on the strength (how sharply: {@code sharpness}; the real
   * objective is affine in each theta, so its push is nearly a sign), a structure whose theta stayed at 0 for 3
   * checks (one every 100 steps) is frozen for good, and the controller sees the expected fraction
   * (the mean theta) every {@link BudgetController#UPDATE_EVERY} steps, as in the trainer. Returns the fraction of structures kept at the end (theta >= 0.5).
   */
  private static double toyRun(Budget budget, double lo, double hi, int steps,
      double sharpness) {
    int n = 400;
    double[] threshold = new double[n];
    SplittableRandom rng = new SplittableRandom(7);
    for (int i = 0; i < n; i++) {
      threshold[i] = lo * Math.pow(hi / lo, rng.nextDouble());
    }
    double[] theta = new double[n];
    java.util.Arrays.fill(theta, 1);
    int[] zeroChecks = new int[n];
    boolean[] frozen = new boolean[n];
    BudgetController c = new BudgetController(budget, 1.0);
    double strength = c.strength();
    for (int step = 1; step <= steps; step++) {
      for (int i = 0; i < n; i++) {
        if (!frozen[i]) {
          // the gradient's sign and size follow log(strength / threshold), Adam-like steps
          double push = Math.tanh(sharpness * Math.log(strength / threshold[i]));
          theta[i] = Math.max(0, Math.min(1, theta[i] - 0.01 * push));
        }
      }
      if (step % 100 == 0) {
        for (int i = 0; i < n; i++) {
          zeroChecks[i] = theta[i] == 0 ? zeroChecks[i] + 1 : 0;
          frozen[i] |= zeroChecks[i] >= 3;
        }
      }
      if (step % BudgetController.UPDATE_EVERY == 0) {
        double mean = 0;
        for (int i = 0; i < n; i++) {
          mean += theta[i] / n;
        }
        strength = c.update(step / (double) steps, mean, mean);
      }
    }
    int kept = 0;
    for (double t : theta) {
      kept += t >= 0.5 ? 1 : 0;
    }
    return kept / (double) n;
  }

  /**
   * Targets of the experiments on plants from shallow (thresholds over 4 decades) to steep (a
   * third of a decade, or a tenth), short (20 pruning checks) and long (100) runs, sharp and soft
   * pushes. The cliffs of a tenth of a decade sit at, below and above the controller's start
   * (1/16 of the strength given, 1): below it is LeNet-5's case, whose first-layer filters all
   * close at any strength from a quarter up. The plant is deterministic: the bound is the
   * acceptance criterion (10% of the target), not noise.
   */
  @ParameterizedTest
  @CsvSource({"0.5, 0.1, 10", "0.25, 0.1, 10", "0.1, 0.1, 10", "0.5, 3, 4", "0.3, 3, 4",
      "0.1, 0.01, 100", "0.5, 1, 1.2", "0.25, 0.5, 50", "0.5, 0.0625, 0.075", "0.5, 0.2, 0.24",
      "0.5, 2, 2.4", "0.25, 1, 1.2", "0.1, 1, 1.2"})
  void landsWithinTenPercentOfTheMacsTargetOnAToyNetwork(double target, double lo, double hi) {
    for (int steps : new int[] {2000, 10000}) {
      for (double sharpness : new double[] {3, 10}) {
        double kept = toyRun(Budget.ofMacs(target), lo, hi, steps, sharpness);
        assertThat(Math.abs(kept - target) / target)
            .as("steps %s sharpness %s kept %s", steps, sharpness, kept)
            .isLessThanOrEqualTo(0.10);
      }
    }
  }

  @Test
  void landsOnTheTighterOfTwoTargets() {
    // the toy's MACs and parameters fractions are the same; the 0.2 target binds
    double kept = toyRun(new Budget(0.6, 0.2), 0.1, 10, 4000, 10);
    assertThat(Math.abs(kept - 0.2) / 0.2).isLessThanOrEqualTo(0.10);
  }

  @Test
  void strengthRisesWhileAboveThePathAndFallsBelowIt() {
    BudgetController c = new BudgetController(Budget.ofMacs(0.5), 1.0);
    double up = c.update(0.9, 0.9, 0.9);
    assertThat(up).isGreaterThan(1.0);
    BudgetController d = new BudgetController(Budget.ofMacs(0.5), 1.0);
    double down = d.update(0.9, 0.3, 0.3);
    assertThat(down).isLessThan(1.0);
  }

  @Test
  void referencePathFallsFromDenseToTheTargetAndHolds() {
    assertThat(BudgetController.reference(0.25, 0)).isEqualTo(1.0);
    assertThat(BudgetController.reference(0.25, 0.3)).isBetween(0.25, 1.0);
    assertThat(BudgetController.reference(0.25, BudgetController.RAMP)).isEqualTo(0.25);
    assertThat(BudgetController.reference(0.25, 1.0)).isEqualTo(0.25);
  }

  @Test
  void resumedControllerContinuesFromItsIntegral() {
    BudgetController a = new BudgetController(Budget.ofMacs(0.5), 1.0);
    a.update(0.2, 0.95, 0.95);
    a.update(0.3, 0.9, 0.9);
    BudgetController b = new BudgetController(Budget.ofMacs(0.5), 1.0, a.logMultiplier(),
        a.lastProgress());
    assertThat(b.update(0.4, 0.85, 0.85)).isEqualTo(a.update(0.4, 0.85, 0.85));
  }

  private static final ArchitectureSpec MLP = ArchitectureSpec.of("mlp", InputSpec.flat(100, true),
      DenseLayer.gatedRelu("dense0", 50), DenseLayer.logits("output", 10));

  @Test
  void targetBelowOneUnitPerLayerIsRefusedWithTheSmallestReachableFraction() {
    // smallest: 1 input x 1 unit + 1 unit x 10 outputs = 11 MACs of 100*50 + 50*10 = 5500
    assertThatThrownBy(() -> Budget.ofMacs(0.001).checkFeasible(MLP))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("target MACs 0.001 cannot be met")
        .hasMessageContaining("0.00200")
        .hasMessageContaining("--target-macs 0.0020 or more");
    Budget.ofMacs(0.0021).checkFeasible(MLP); // just above: accepted
  }

  @Test
  void targetOutsideZeroToOneIsRefused() {
    assertThatThrownBy(() -> Budget.ofMacs(1.5)).hasMessageContaining("(0, 1]");
    assertThatThrownBy(() -> Budget.ofParams(0)).hasMessageContaining("(0, 1]");
  }

  @Test
  void aBudgetIsMetWithinItsMarginAboveEveryTarget() {
    Budget macs = Budget.ofMacs(0.2);
    assertThat(macs.metBy(0.21, 1.0, 0.05)).isTrue();
    assertThat(macs.metBy(0.2101, 0.0, 0.05)).isFalse();
    assertThat(macs.metBy(0.05, 1.0, 0.05)).as("below the target is met").isTrue();
    Budget both = new Budget(0.5, 0.1);
    assertThat(both.metBy(0.4, 0.2, 0.05)).as("the tighter target binds").isFalse();
    assertThat(both.metBy(0.52, 0.104, 0.05)).isTrue();
    assertThatThrownBy(() -> Budget.NONE.metBy(0.1, 0.1, 0.05))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no budget");
  }
}
