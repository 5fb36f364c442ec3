package org.tfprune.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tfprune.loss.PruningKnobs;
import org.tfprune.testing.Mnist;

/**
 * A budget steers the strength the training graph uses: the controller's value reaches the
 * objective each epoch and is reported, and the fine-tuning epochs run without pressure.
 */
class BudgetTrainingTest {
  @Test
  void theStrengthFollowsTheControllerAndIsReportedPerEpoch() {
    TrainerConfig config = TrainerConfig.builder().knobs(PruningKnobs.defaults())
        .epochs(4).finetuneEpochs(1).batchSize(100).seed(7).evalBatchSize(1000)
        .budget(Budget.ofMacs(0.05)).build();
    int[] landedIn = {3}; // the last pruning epoch, unless the budget is reached before
    TrainingListener listener = new TrainingListener() {
      @Override
      public void onBudgetReached(int epoch, int step, double macs, double params) {
        landedIn[0] = epoch;
      }
    };
    TrainingResult r = new PruningTrainer(config, listener)
        .train(TrainerTest.SPEC, Mnist.train(3000), Mnist.test(1000));
    List<EpochStats> h = r.history();
    // the pruning epochs (up to the one the budget is reached in) report the controller's
    // strength, which it moved off the knob's 1.0 (it updates every 20 steps), within its bounds
    for (EpochStats e : h.subList(0, landedIn[0])) {
      assertThat(e.phase()).isEqualTo("prune");
      assertThat(e.strength()).isNotEqualTo(1.0)
          .isBetween(BudgetController.MIN_STRENGTH, BudgetController.MAX_STRENGTH);
    }
    assertThat(h.subList(0, landedIn[0])).extracting(EpochStats::strength)
        .doesNotHaveDuplicates();
    for (EpochStats e : h.subList(landedIn[0], h.size())) {
      assertThat(e.phase()).isEqualTo("finetune");
      assertThat(e.strength()).isZero();
    }
  }

  @Test
  void withoutABudgetTheKnobsStrengthIsReported() {
    TrainerConfig config = TrainerConfig.builder().knobs(PruningKnobs.defaults().withStrength(0.5))
        .epochs(2).finetuneEpochs(0).batchSize(100).seed(7).evalBatchSize(1000).build();
    TrainingResult r = new PruningTrainer(config, TrainingListener.NONE)
        .train(TrainerTest.SPEC, Mnist.train(1000), Mnist.test(500));
    assertThat(r.history()).extracting(EpochStats::strength).containsOnly(0.5);
  }

  /**
   * A 50% budget on the MLP: once the structure it would keep is within the landing margin of the
   * target, theta is rounded and the weights fine-tuned, so the result is exactly the structure
   * reported then (at most 5% above the target), and no epoch after it prunes.
   */
  @Test
  void aBudgetRunStopsPruningWhenItsStructureReachesTheTarget() {
    long seed = Long.parseLong(System.getenv().getOrDefault("TF_PRUNE_TEST_SEED", "7"));
    TrainerConfig config = TrainerConfig.builder().knobs(PruningKnobs.defaults())
        .epochs(5).finetuneEpochs(1).batchSize(100).seed(seed).evalBatchSize(1000)
        .budget(Budget.ofMacs(0.5)).build();
    double[] landed = new double[] {-1, -1};
    TrainingListener listener = new TrainingListener() {
      @Override
      public void onBudgetReached(int epoch, int step, double macsFraction,
          double paramsFraction) {
        landed[0] = epoch;
        landed[1] = macsFraction;
      }
    };
    TrainingResult r = new PruningTrainer(config, listener)
        .train(TrainerTest.SPEC, Mnist.train(3000), Mnist.test(1000));
    assertThat(landed[0]).as("the budget was reached during the pruning phase").isBetween(1.0,
        4.0);
    assertThat(landed[1]).isLessThanOrEqualTo(0.5 * (1 + TrainingSchedule.LANDING_MARGIN));
    List<EpochStats> h = r.history();
    for (EpochStats e : h.subList((int) landed[0], h.size())) {
      assertThat(e.phase()).isEqualTo("finetune");
      assertThat(e.strength()).isZero();
      assertThat(e.macsFraction()).isEqualTo(landed[1]);
    }
  }
}
