package org.tfprune.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tfprune.loss.PruningKnobs;
import org.tfprune.testing.Mnist;

/** The trainer hands the listener theta at the end of every epoch, for trajectories. */
class EpochThetasTest {
  @Test
  void listenerReceivesThetaOfEveryGroupAfterEveryEpochAndTheLastEqualsTheResult() {
    List<Integer> epochs = new ArrayList<>();
    List<Integer> statsEpochs = new ArrayList<>();
    Map<Integer, Map<String, float[]>> seen = new LinkedHashMap<>();
    TrainingListener listener = new TrainingListener() {
      @Override
      public void onEpoch(EpochStats stats) {
        statsEpochs.add(stats.epoch());
      }

      @Override
      public void onEpochThetas(int epoch, Map<String, float[]> theta) {
        assertThat(statsEpochs).as("onEpoch comes first").endsWith(epoch);
        epochs.add(epoch);
        seen.put(epoch, theta);
      }
    };
    TrainerConfig config = TrainerConfig.builder().knobs(PruningKnobs.defaults().withStrength(2))
        .epochs(3).batchSize(100).seed(3).build();
    TrainingResult r = new PruningTrainer(config, listener).train(TrainerTest.SPEC,
        Mnist.train(200), Mnist.test(100));

    assertThat(epochs).containsExactly(1, 2, 3);
    assertThat(seen.get(1).keySet()).containsExactly("input", "dense0", "dense1");
    assertThat(seen.get(1).get("dense0")).hasSize(75);
    Map<String, float[]> last = r.parameters().thetas();
    seen.get(3).forEach((g, t) -> assertThat(t).as(g).containsExactly(last.get(g)));
    assertThat(PruningTrainer.binaryFraction(seen.get(3))).isEqualTo(
        r.history().get(2).binaryFraction());

    List<Integer> none = new ArrayList<>();
    new PruningTrainer(config.toBuilder().gated(false).build(), new TrainingListener() {
      @Override
      public void onEpochThetas(int epoch, Map<String, float[]> theta) {
        none.add(theta.size());
      }
    }).train(TrainerTest.SPEC, Mnist.train(200), Mnist.test(100));
    assertThat(none).containsExactly(0, 0, 0);
  }
}
