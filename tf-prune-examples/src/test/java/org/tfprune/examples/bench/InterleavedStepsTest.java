package org.tfprune.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.google.common.collect.ImmutableMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.tfprune.train.StepProgress;
import org.tfprune.train.TrainingListener;

/**
 * {@link InterleavedSteps}: the trainings take turns block by block, only whole blocks inside
 * epochs 2 and later are timed, and a failing training ends the comparison instead of hanging it.
 */
class InterleavedStepsTest {
  /** A stand-in training that reports every {@code every} steps and logs what it ran. */
  private static Consumer<TrainingListener> training(String name, int epochs, int steps,
      int every, List<String> log) {
    return l -> {
      for (int e = 1; e <= epochs; e++) {
        for (int s = every; s <= steps; s += every) {
          log.add(name + e + ":" + s);
          l.onStep(new StepProgress(e, epochs, s, steps, 0, 0, ImmutableMap.of(), 1, 0));
        }
      }
    };
  }

  @Test
  void takesTurnsAndTimesWholeBlocksAfterTheFirstEpoch() {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    InterleavedSteps.Blocks b = InterleavedSteps.compare(List.of(training("a", 3, 400, 100, log),
        training("b", 3, 400, 100, log), training("c", 3, 400, 100, log)));
    // strict rounds: a's block, then b's, then c's, and so on
    for (int i = 0; i < log.size(); i++) {
      assertThat(log.get(i)).startsWith(List.of("a", "b", "c").get(i % 3));
    }
    assertThat(log).hasSize(36);
    // per training: epochs 2 and 3, the 3 blocks of each that do not start at the epoch's start
    for (int i = 0; i < 3; i++) {
      assertThat(b.of(i)).hasSize(6);
      for (double ms : b.of(i)) {
        assertThat(ms).isNotNegative();
      }
    }
    assertThat(b.ratios(1)).hasSize(6);
    assertThat(b.ratios(0)).containsOnly(1.0);
  }

  @Test
  void aLongerTrainingFinishesAloneAndTheRatiosCoverTheSharedBlocks() {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    InterleavedSteps.Blocks b = InterleavedSteps.compare(List.of(training("a", 2, 200, 100, log),
        training("b", 4, 200, 100, log)));
    assertThat(b.of(0)).hasSize(1);
    assertThat(b.of(1)).hasSize(3);
    assertThat(b.ratios(1)).hasSize(1);
    assertThat(log).hasSize(12);
  }

  @Test
  void aFailingTrainingEndsTheComparisonWithItsError() {
    Consumer<TrainingListener> failing = l -> {
      l.onStep(new StepProgress(1, 2, 100, 200, 0, 0, ImmutableMap.of(), 1, 0));
      throw new IllegalArgumentException("bad data");
    };
    assertThatThrownBy(() -> InterleavedSteps.compare(List.of(training("a", 2, 200, 100,
        Collections.synchronizedList(new ArrayList<>())), failing)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("bad data");
  }

  @Test
  void aFailingTrainingStopsTheOthersAtTheirNextTurn() {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    Consumer<TrainingListener> failing = l -> {
      log.add("b1:100");
      l.onStep(new StepProgress(1, 2, 100, 200, 0, 0, ImmutableMap.of(), 1, 0));
      throw new IllegalStateException("diverged");
    };
    assertThatThrownBy(() -> InterleavedSteps.compare(List.of(
        training("a", 50, 400, 100, log), failing, training("c", 50, 400, 100, log))))
        .isInstanceOf(IllegalStateException.class).hasMessage("diverged");
    // a and c each ran at most one more block after b failed, not their 200
    assertThat(log).hasSizeLessThanOrEqualTo(6);
  }

  @Test
  void blocksAfterARebuildAreNotTimed() {
    Consumer<TrainingListener> rebuilding = l -> {
      for (int e = 1; e <= 2; e++) {
        for (int st = 100; st <= 400; st += 100) {
          l.onStep(new StepProgress(e, 2, st, 400, 0, 0, ImmutableMap.of(), 1, 0));
          if (e == 2 && st == 200) {
            l.onRebuild(e, st, 10, 5);
          }
        }
      }
    };
    InterleavedSteps.Blocks b = InterleavedSteps.compare(List.of(rebuilding));
    // epoch 2: blocks ending at 200 and 400 are timed; 300 follows the rebuild
    assertThat(b.of(0)).hasSize(2);
  }

  @Test
  void quantilesInterpolate() {
    double[] v = {4, 1, 3, 2};
    assertThat(InterleavedSteps.quantile(v, 0.5)).isCloseTo(2.5, within(1e-12));
    assertThat(InterleavedSteps.quantile(v, 0)).isEqualTo(1);
    assertThat(InterleavedSteps.quantile(v, 1)).isEqualTo(4);
    assertThat(InterleavedSteps.quantile(v, 0.25)).isCloseTo(1.75, within(1e-12));
    assertThatThrownBy(() -> InterleavedSteps.quantile(new double[0], 0.5))
        .hasMessageContaining("no values");
  }
}
