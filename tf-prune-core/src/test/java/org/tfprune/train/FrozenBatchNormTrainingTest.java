package org.tfprune.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.testing.ArrayData;
import org.tfprune.testing.Mnist;
import org.tfprune.testing.TinyResNet;

/**
 * {@link TrainerConfig.BatchNormStatistics#FROZEN_AFTER_WARMUP}: the warm-up steps update the
 * moving statistics, the pruning steps leave them as they are, and a network without batch norm
 * trains exactly as under the batch's statistics.
 */
class FrozenBatchNormTrainingTest {
  private static final ArrayData TRAIN = Mnist.train(300);
  private static final ArrayData TEST = Mnist.test(100);

  private static TrainerConfig.Builder frozen() {
    return TrainerConfig.builder().finetuneEpochs(0).batchSize(50).seed(5).evalBatchSize(100)
        .rebuildThreshold(0)
        .batchNormStatistics(TrainerConfig.BatchNormStatistics.FROZEN_AFTER_WARMUP);
  }

  @Test
  void onlyTheWarmUpStepsMoveTheMovingStatistics() {
    ArchitectureSpec spec = TinyResNet.plain();
    TrainingResult pruningOnly = new PruningTrainer(frozen().epochs(2).build(), null)
        .train(spec, TRAIN, TEST);
    Map<String, HostTensor> p = pruningOnly.parameters().asMap();
    assertThat(statistics(p, ParameterSet.MOVING_MEAN)).as("moving means of a run without "
        + "warm-up: their initial zeros").containsOnly(0f);
    assertThat(statistics(p, ParameterSet.MOVING_VARIANCE)).containsOnly(1f);
    assertThat(pruningOnly.history()).allSatisfy(e ->
        assertThat(e.dataLoss()).isFinite());

    TrainingResult warmedUp = new PruningTrainer(frozen().epochs(2).warmupEpochs(1).build(),
        null).train(spec, TRAIN, TEST);
    assertThat(statistics(warmedUp.parameters().asMap(), ParameterSet.MOVING_MEAN))
        .as("the warm-up epoch updates the moving means").isNotEmpty()
        .anySatisfy(v -> assertThat(v).isNotEqualTo(0f));
  }

  @Test
  void aNetworkWithoutBatchNormTrainsTheSameEitherWay() {
    TrainerConfig.Builder cfg = frozen().epochs(3).warmupEpochs(1).batchSize(100)
        .seed(TrainerTest.SEED);
    TrainingResult a = new PruningTrainer(cfg.build(), null).train(TrainerTest.SPEC,
        Mnist.train(1000), TEST);
    TrainingResult b = new PruningTrainer(cfg.batchNormStatistics(
        TrainerConfig.BatchNormStatistics.BATCH).build(), null).train(TrainerTest.SPEC,
        Mnist.train(1000), TEST);
    for (int e = 0; e < a.history().size(); e++) {
      assertThat(a.history().get(e).dataLoss()).as("epoch %s", e + 1)
          .isEqualTo(b.history().get(e).dataLoss());
    }
    assertThat(a.keep()).isEqualTo(b.keep());
    assertThat(a.testAccuracy()).isEqualTo(b.testAccuracy());
  }

  /** Every value of the parameters of {@code kind}. */
  private static java.util.List<Float> statistics(Map<String, HostTensor> params, String kind) {
    java.util.List<Float> values = new java.util.ArrayList<>();
    params.forEach((k, v) -> {
      if (ParameterSet.kindOf(k).equals(kind)) {
        for (float f : v.values()) {
          values.add(f);
        }
      }
    });
    return values;
  }
}
