package org.tfprune.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.InputSpec;
import org.tfprune.testing.ArrayData;
import org.tfprune.train.Budget;
import org.tfprune.train.CheckpointPolicy;
import org.tfprune.train.TrainerConfig;

/** A budget set through the front door, and one the network cannot meet. */
class BudgetApiTest {
  private static final ArchitectureSpec MLP = ArchitectureSpec.of("mlp", InputSpec.flat(20, true),
      DenseLayer.gatedRelu("hidden", 10), DenseLayer.logits("out", 2));

  @TempDir
  Path tmp;

  @Test
  void targetsSetThroughTheFrontDoorReachTheTrainerConfig() {
    Pruning p = TfPrune.train(MLP).withTargetMacs(0.3).withTargetParams(0.4);
    assertThat(p.config().budget()).isEqualTo(new Budget(0.3, 0.4));
    assertThat(TfPrune.train(MLP).config().budget()).isEqualTo(Budget.NONE);
  }

  @Test
  void anUnreachableTargetIsRefusedBeforeAnyWorkAndWritesNoCheckpoint() {
    // smallest: 1 input x 1 unit + 1 unit x 2 outputs = 3 of 20*10 + 10*2 = 220 MACs: 0.0136
    ArrayData data = new ArrayData(new float[40 * 20], new int[40], 20, 2);
    Path ckpt = tmp.resolve("run.ckpt");
    Pruning p = TfPrune.train(MLP).withConfig(TrainerConfig.builder().epochs(1).batchSize(10)
        .checkpoint(CheckpointPolicy.everyEpoch(ckpt, false)).build()).withTargetMacs(0.01);
    assertThatThrownBy(() -> p.train(data, data))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("target MACs 0.01 cannot be met")
        .hasMessageContaining("0.01364")
        .hasMessageContaining("--target-macs 0.0137 or more");
    assertThat(Files.exists(ckpt)).isFalse();
    assertThat(tmp.toFile().list()).isEmpty();
  }
}
