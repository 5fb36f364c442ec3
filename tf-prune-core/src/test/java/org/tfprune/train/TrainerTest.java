package org.tfprune.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tfprune.loss.PruningKnobs;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.InputSpec;
import org.tfprune.testing.ArrayData;
import org.tfprune.testing.Mnist;
import org.tfprune.testing.NearestMean;
import org.tfprune.testing.Noise;
import org.tfprune.testing.Seeds;

/**
 * The trainer on a small real MNIST slice (3000 train / 1000 test) with LeNet-300-100 at width
 * multiplier 0.25 (784-75-25-10, input and unit gates), batch 100, 10 epochs.
 */
class TrainerTest {
  /** LeNet-300-100 at width multiplier 0.25, with input and unit gates. */
  static final ArchitectureSpec SPEC = ArchitectureSpec.of("lenet-75-25", InputSpec.flat(784, true),
      DenseLayer.gatedRelu("dense0", 75), DenseLayer.gatedRelu("dense1", 25),
      DenseLayer.logits("output", 10));
  /** 10 epochs of 30 steps: enough for theta to settle (each run takes about a second). */
  static final int EPOCHS = 10;
  /**
   * A strength that prunes hard on this small set (the prior's pressure is per example, so 3000
   * examples feel it 20x more than full MNIST) without emptying the network.
   */
  static final double PRUNE = 2;
  private static final Map<String, TrainingResult> RUNS = new ConcurrentHashMap<>();

  /** The seed of the runs every test shares, and the default of the seeded tests. */
  static final long SEED = 7;

  static TrainerConfig config(double strength) {
    return config(strength, SEED);
  }

  static TrainerConfig config(double strength, long seed) {
    return TrainerConfig.builder().knobs(PruningKnobs.defaults().withStrength(strength))
        .epochs(EPOCHS).batchSize(100).seed(seed).evalBatchSize(1000).build();
  }

  /** Seeds of the tests whose claim must hold for any seed: {@link #SEED} in CI ({@link Seeds}). */
  static LongStream seeds() {
    return Seeds.expensive(SEED);
  }

  /**
   * The accuracy a network that learned reaches at least on this data: that of the nearest class
   * mean (computed exactly on the host, 0.751 here), less 4 standard errors of a difference of
   * two accuracies on n = 1000 test examples, 4 sqrt(2 p (1 - p) / n) (0.078): 0.674.
   */
  static double learnedAccuracy() {
    double p = NearestMean.accuracy(train(), test());
    return p - Noise.accuracyDifference(p, p, test().size());
  }

  private static ArrayData train() {
    return Mnist.train(3000);
  }

  private static ArrayData test() {
    return Mnist.test(1000);
  }

  /** Runs are shared between tests (the suite must stay fast); key = strength + run id. */
  private static TrainingResult run(double strength, int id) {
    return run(strength, SEED, id);
  }

  private static TrainingResult run(double strength, long seed, int id) {
    return RUNS.computeIfAbsent(strength + "@" + seed + "#" + id, k -> {
      TrainingResult r = new PruningTrainer(config(strength, seed), null).train(SPEC, train(),
          test());
      System.out.printf("TrainerTest strength %s seed %d run %d: %s%n", strength, seed, id,
          summary(r));
      return r;
    });
  }

  private static String summary(TrainingResult r) {
    StringBuilder b = new StringBuilder();
    for (EpochStats e : r.history()) {
      b.append(String.format("%n  epoch %d loss %.4f acc %.4f widths %s macs %.4f binary %.4f "
          + "frozen %d", e.epoch(), e.dataLoss(), e.testAccuracy(), e.liveWidths(),
          e.macsFraction(), e.binaryFraction(), e.frozen()));
    }
    return b.append(String.format("%n  final binaryFraction %.4f", r.binaryFraction())).toString();
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void trainingReducesTheLossAndLearns(long seed) {
    TrainingResult r = run(PRUNE, seed, 1);
    TrainingResult dense = run(0, seed, 1);
    double learned = learnedAccuracy();
    System.out.printf("TrainerTest seed %d: accuracy pruned %.4f, dense %.4f, bound %.4f%n",
        seed, r.testAccuracy(), dense.testAccuracy(), learned);
    assertThat(r.history()).hasSize(EPOCHS);
    // the epoch's mean data loss falls: the means of a settled run move by about 0.01 from one
    // epoch to the next (their noise); a network that learns goes from the first epoch's mean
    // (which starts at ln 10 = 2.3, about 1.6 over the epoch) to well below half of it, so 0.7 x
    // the first epoch's mean lies tens of noise units away from both outcomes
    assertThat(r.history().get(EPOCHS - 1).dataLoss())
        .isLessThan(0.7 * r.history().get(0).dataLoss());
    assertThat(r.history().get(EPOCHS - 1).objective())
        .isLessThan(r.history().get(0).objective());
    assertThat(dense.history().get(EPOCHS - 1).dataLoss())
        .isLessThan(0.7 * dense.history().get(0).dataLoss());
    // both networks learn: at least the nearest class mean's accuracy, within noise
    assertThat(r.testAccuracy()).isGreaterThanOrEqualTo(learned);
    assertThat(dense.testAccuracy()).isGreaterThanOrEqualTo(learned);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void highStrengthPrunesSomething(long seed) {
    TrainingResult r = run(PRUNE, seed, 1);
    EpochStats last = r.history().get(r.history().size() - 1);
    // something is pruned: any removed structure takes MACs off (how much depends on the seed)
    assertThat(last.macsFraction()).isLessThan(1.0);
    assertThat(r.keep().removed()).isPositive();
    assertThat(last.liveWidths().get("input")).isLessThan(784);
    assertThat(last.liveWidths().get("dense0")).isLessThan(75);
    assertThat(last.frozen()).as("structures pruned for good (theta 0, weights decayed)")
        .isPositive();
  }

  @Test
  void fineTuningRewindsTheLearningRateUnlessTold0() {
    TrainerConfig rewound = TrainerConfig.builder().epochs(4).finetuneEpochs(1)
        .optimizer(OptimizerSpec.adam(2e-3, 1e-5)).build();
    TrainerConfig continued = TrainerConfig.builder().epochs(4).finetuneEpochs(1)
        .optimizer(OptimizerSpec.adam(2e-3, 1e-5)).finetuneLearningRate(0).build();
    int perEpoch = 100;
    long total = 4L * perEpoch;
    long begin = 3L * perEpoch;
    assertThat(rewound.finetuneLearningRate()).isEqualTo(2e-3);
    // the main schedule is a cosine over steps 0..399: at step 300 it has reached
    // 1e-5 + (2e-3 - 1e-5) (1 + cos(300 pi / 399)) / 2, about 3e-4
    double main = 1e-5 + (2e-3 - 1e-5) * (1 + Math.cos(300 * Math.PI / 399)) / 2;
    assertThat(continued.learningRateAt(true, begin, total, perEpoch))
        .isCloseTo(main, within(1e-12));
    assertThat(rewound.learningRateAt(false, begin - 1, total, perEpoch))
        .isCloseTo(continued.learningRateAt(false, begin - 1, total, perEpoch),
            within(1e-15));
    assertThat(rewound.learningRateAt(true, begin, total, perEpoch))
        .isCloseTo(2e-3, within(1e-12));
    assertThat(rewound.learningRateAt(true, total - 1, total, perEpoch))
        .isCloseTo(1e-5, within(1e-12));
  }

  @Test
  void strengthZeroKeepsEveryStructure() {
    TrainingResult r = run(0, 1);
    r.parameters().thetas().forEach((g, t) -> {
      for (float v : t) {
        assertThat(v).as("theta of group %s", g).isEqualTo(1f);
      }
    });
    assertThat(r.history().get(r.history().size() - 1).macsFraction()).isEqualTo(1.0);
    assertThat(r.keep().removed()).isZero();
    assertThat(r.compactSpec().widths()).containsExactly(SPEC.widths());
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void thetaEndsNearlyBinaryInAPruningRun(long seed) {
    TrainingResult r = run(PRUNE, seed, 1);
    // binary: at most 1% of the structures undecided (within 0.01 of neither 0 nor 1)
    assertThat(r.binaryFraction()).isGreaterThanOrEqualTo(0.99);
    assertThat(PruningTrainer.binaryFraction(r.parameters().thetas()))
        .isGreaterThanOrEqualTo(0.99);
  }

  @Test
  void reportedMacsFractionEqualsTheCompactSpecsCount() {
    TrainingResult r = run(PRUNE, 1);
    EpochStats last = r.history().get(r.history().size() - 1);
    assertThat((double) r.compactComplexity().macs() / r.denseComplexity().macs())
        .isCloseTo(last.macsFraction(), within(1e-9));
    assertThat(r.compactSpec().widths()[1]).isEqualTo(last.liveWidths().get("dense0"));
  }

  /**
   * Two runs with the same seed and config must agree exactly: widths, mask, accuracy and every
   * epoch's loss (gate sampling and shuffling are seeded; nothing else may vary).
   */
  @Test
  void sameSeedGivesIdenticalResults() {
    TrainingResult a = run(PRUNE, 1);
    TrainingResult b = run(PRUNE, 2);
    assertThat(b.compactSpec().widths()).containsExactly(a.compactSpec().widths());
    assertThat(b.keep()).isEqualTo(a.keep());
    assertThat(b.testAccuracy()).isEqualTo(a.testAccuracy());
    for (int e = 0; e < a.history().size(); e++) {
      assertThat(b.history().get(e).dataLoss()).isEqualTo(a.history().get(e).dataLoss());
    }
  }

  /**
   * DESIGN.md: "A layer that nothing can bypass keeps at least one unit." Even at a strength that
   * squeezes hard, the deterministic network must stay a network that can be compacted and export.
   */
  @Test
  void warmUpEpochsTrainTheWholeNetworkBeforeThetaLearns() {
    TrainerConfig cfg = config(PRUNE).toBuilder().epochs(4).warmupEpochs(2).build();
    TrainingResult r = new PruningTrainer(cfg, null).train(SPEC, train(), test());
    // the warm-up epochs learn with every gate open and theta untouched
    for (int e = 0; e < 2; e++) {
      assertThat(r.history().get(e).macsFraction()).as("MACs left after warm-up epoch %d", e + 1)
          .isEqualTo(1.0);
      assertThat(r.history().get(e).frozen()).isZero();
    }
    assertThat(r.history().get(1).testAccuracy()).as("accuracy after the warm-up")
        .isGreaterThanOrEqualTo(learnedAccuracy());
    // then the pruning epochs prune (any removed structure takes MACs off)
    assertThat(r.history().get(3).macsFraction()).isLessThan(1.0);
    assertThatThrownBy(() -> config(PRUNE).toBuilder().epochs(4).finetuneEpochs(2)
        .warmupEpochs(2).build()).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("warm-up epochs").hasMessageContaining("at least one pruning epoch");
  }

  @Test
  void veryHighStrengthStillLeavesAtLeastOneUnitPerLayerAndOneInputFeature() {
    TrainingResult r = run(20, 1);
    assertThat(r.keep().count("input")).as("live input features").isPositive();
    assertThat(r.keep().count("dense0")).as("live dense0 units").isPositive();
    assertThat(r.keep().count("dense1")).as("live dense1 units").isPositive();
    assertThatCode(r::compactSpec).as("compacting the trained network")
        .doesNotThrowAnyException();
  }

  @Test
  void nanInTheDataStopsTrainingWithAMessageAboutTheLearningRate() {
    ArrayData poisoned = Mnist.train(300).withFeature(5, 400, Float.NaN);
    TrainerConfig c = config(1).toBuilder().epochs(1).batchSize(300).build();
    assertThatThrownBy(() -> new PruningTrainer(c, null).train(SPEC, poisoned, Mnist.test(100)))
        .isInstanceOf(TrainingDivergedException.class)
        .hasMessageContaining("learning rate")
        .hasMessageContaining("NaN");
  }

  @Test
  void mismatchedDataShapeIsRejectedWithAClearMessage() {
    ArrayData wrong = new ArrayData(new float[200 * 100], new int[200], 100, 10);
    assertThatThrownBy(() -> new PruningTrainer(config(1), null).train(SPEC, wrong, test()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("100 values per example")
        .hasMessageContaining("784");
    ArrayData wrongClasses = new ArrayData(new float[200 * 784], new int[200], 784, 3);
    assertThatThrownBy(() -> new PruningTrainer(config(1), null).train(SPEC, wrongClasses, test()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("3 classes").hasMessageContaining("10 outputs");
  }

  @Test
  void trainingSetSmallerThanABatchIsRejected() {
    assertThatThrownBy(() -> new PruningTrainer(config(1), null)
        .train(SPEC, Mnist.train(50), test()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("batch");
  }
}
