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
    TrainingResult r = new PruningTrainer(config, TrainingListener.NONE)
        .train(TrainerTest.SPEC, Mnist.train(3000), Mnist.test(1000));
    List<EpochStats> h = r.history();
    // the pruning epochs report the controller's strength, which it moved off the knob's 1.0
    // (every epoch ends with a pruning check, where it updates), within its bounds
    for (EpochStats e : h.subList(0, 3)) {
      assertThat(e.phase()).isEqualTo("prune");
      assertThat(e.strength()).isNotEqualTo(1.0)
          .isBetween(BudgetController.MIN_STRENGTH, BudgetController.MAX_STRENGTH);
    }
    assertThat(h.subList(0, 3)).extracting(EpochStats::strength).doesNotHaveDuplicates();
    assertThat(h.get(3).phase()).isEqualTo("finetune");
    assertThat(h.get(3).strength()).isZero();
  }

  @Test
  void withoutABudgetTheKnobsStrengthIsReported() {
    TrainerConfig config = TrainerConfig.builder().knobs(PruningKnobs.defaults().withStrength(0.5))
        .epochs(2).finetuneEpochs(0).batchSize(100).seed(7).evalBatchSize(1000).build();
    TrainingResult r = new PruningTrainer(config, TrainingListener.NONE)
        .train(TrainerTest.SPEC, Mnist.train(1000), Mnist.test(500));
    assertThat(r.history()).extracting(EpochStats::strength).containsOnly(0.5);
  }
}
