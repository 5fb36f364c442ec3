package org.tfprune.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tfprune.loss.PruningKnobs;
import org.tfprune.testing.ArrayData;
import org.tfprune.testing.Mnist;

/**
 * Checkpoints: a run interrupted after a save and resumed ends exactly where an uninterrupted run
 * does (gate draws, data order and every variable are part of the state); a damaged or foreign
 * checkpoint is refused with a message that says what to do.
 */
class CheckpointTest {
  private static final ArrayData TRAIN = Mnist.train(2000);
  private static final ArrayData TEST = Mnist.test(500);

  private static TrainerConfig.Builder config() {
    return TrainerConfig.builder().knobs(PruningKnobs.defaults().withStrength(TrainerTest.PRUNE))
        .epochs(8).finetuneEpochs(2).batchSize(100).seed(3).evalBatchSize(500)
        .pruneCheckEvery(10).rebuildThreshold(0.05);
  }

  /** A listener that stops the run (like a killed process) when an epoch ends. */
  private static final class Interrupt extends RuntimeException {}

  @Test
  void anInterruptedRunResumesToTheSameResult(@TempDir Path dir) {
    TrainingResult straight = new PruningTrainer(config().build(), null).train(TrainerTest.SPEC,
        TRAIN, TEST);

    Path file = dir.resolve("run.ckpt");
    // saves every 7 steps: the interruption falls mid-epoch, after a rebuild
    TrainerConfig saving = config().checkpoint(new CheckpointPolicy(file, 7, true)).build();
    TrainingListener killAtEpoch5 = new TrainingListener() {
      @Override
      public void onEpoch(EpochStats stats) {
        if (stats.epoch() == 5) {
          throw new Interrupt();
        }
      }
    };
    assertThatThrownBy(() -> new PruningTrainer(saving, killAtEpoch5).train(TrainerTest.SPEC,
        TRAIN, TEST)).isInstanceOf(Interrupt.class);
    assertThat(file).exists();
    int[] resumedAt = new int[2];
    TrainingResult resumed = new PruningTrainer(saving, new TrainingListener() {
      @Override
      public void onResume(int epoch, int step, long globalStep) {
        resumedAt[0] = epoch;
        resumedAt[1] = step;
      }
    }).train(TrainerTest.SPEC, TRAIN, TEST);
    assertThat(resumedAt[0]).isEqualTo(5);
    assertThat(resumedAt[1]).isPositive(); // mid-epoch

    assertThat(resumed.keep()).isEqualTo(straight.keep());
    assertThat(resumed.testAccuracy()).isEqualTo(straight.testAccuracy());
    assertThat(resumed.history()).hasSize(8);
    // the resumed run computes what the straight one did from the restored state, on the same
    // graph with the same draws and data order: every value is bit-identical
    assertThat(resumed.parameters().names()).containsExactlyInAnyOrderElementsOf(
        straight.parameters().names());
    for (String name : straight.parameters().names()) {
      assertThat(resumed.parameters().get(name).values()).as(name)
          .containsExactly(straight.parameters().get(name).values());
    }
    for (int e = 0; e < straight.history().size(); e++) {
      assertThat(resumed.history().get(e).dataLoss()).as("epoch %s", e + 1)
          .isEqualTo(straight.history().get(e).dataLoss());
    }
    assertThat(resumed.history().get(7).trainingMacs())
        .isLessThan(resumed.history().get(0).trainingMacs());

    // a finished run's checkpoint gives its result without training again
    TrainingResult again = new PruningTrainer(saving, new TrainingListener() {
      @Override
      public void onStep(StepProgress progress) {
        throw new AssertionError("a finished run must not train");
      }
    }).train(TrainerTest.SPEC, TRAIN, TEST);
    assertThat(again.keep()).isEqualTo(straight.keep());
  }

  @Test
  void damagedOrForeignCheckpointsAreRefused(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("run.ckpt");
    TrainerConfig cfg = config().epochs(2).finetuneEpochs(0)
        .checkpoint(CheckpointPolicy.everyEpoch(file, true)).build();
    new PruningTrainer(cfg, null).train(TrainerTest.SPEC, TRAIN, TEST);
    byte[] good = Files.readAllBytes(file);

    Files.write(file, Arrays.copyOf(good, good.length / 2));
    assertThatThrownBy(() -> new PruningTrainer(cfg, null).train(TrainerTest.SPEC, TRAIN, TEST))
        .isInstanceOf(CheckpointException.class).hasMessageContaining("corrupt")
        .hasMessageContaining("truncated").hasMessageContaining("delete it");

    byte[] flipped = good.clone();
    flipped[flipped.length / 2] ^= 0x10;
    Files.write(file, flipped);
    assertThatThrownBy(() -> new PruningTrainer(cfg, null).train(TrainerTest.SPEC, TRAIN, TEST))
        .isInstanceOf(CheckpointException.class).hasMessageContaining("corrupt");

    Files.write(file, "not a checkpoint at all".getBytes());
    assertThatThrownBy(() -> new PruningTrainer(cfg, null).train(TrainerTest.SPEC, TRAIN, TEST))
        .isInstanceOf(CheckpointException.class).hasMessageContaining("header");

    Files.write(file, good);
    TrainerConfig otherSeed = cfg.toBuilder().seed(99).build();
    assertThatThrownBy(() -> new PruningTrainer(otherSeed, null).train(TrainerTest.SPEC, TRAIN,
        TEST)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("belongs to another run").hasMessageContaining("seed 3")
        .hasMessageContaining("seed 99");
    assertThat(Files.readAllBytes(file)).isEqualTo(good); // a refused checkpoint is left alone
  }
}
