package org.tfprune.models;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tfprune.complexity.ComplexityCounter;
import org.tfprune.export.CompactExporter;
import org.tfprune.export.SavedModelInspector;
import org.tfprune.loss.PruningKnobs;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.LayerSpec;
import org.tfprune.spec.ResidualBlock;
import org.tfprune.testing.ArrayData;
import org.tfprune.testing.Mnist;
import org.tfprune.testing.NearestMean;
import org.tfprune.testing.Noise;
import org.tfprune.testing.Seeds;
import org.tfprune.train.PruningTrainer;
import org.tfprune.train.TrainerConfig;
import org.tfprune.train.TrainingResult;

/**
 * Training conv and residual networks with gates: batch norm's moving statistics are learned,
 * the network learns, a block whose inner filters all closed is closed too, and the trained
 * network exports exactly.
 */
class ConvTrainingTest {
  private static final ArrayData TRAIN = Mnist.train(2000);
  private static final ArrayData TEST = Mnist.test(300);

  /** One seed in CI; by hand over several with {@code -Dtfprune.test.seeds=1,2,3}. */
  static LongStream resNetSeeds() {
    return Seeds.expensive(5);
  }

  static LongStream leNet5Seeds() {
    return Seeds.expensive(3);
  }

  /**
   * The accuracy a network that learned reaches at least: the nearest class mean's on the same
   * data (computed exactly on the host), less 4 standard errors of a difference of two
   * accuracies on n = 300 test examples, 4 sqrt(2 p (1 - p) / n) (about 0.13 at p = 0.8).
   */
  private static double learnedAccuracy() {
    double p = NearestMean.accuracy(TRAIN, TEST);
    return p - Noise.accuracyDifference(p, p, TEST.size());
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("resNetSeeds")
  void gatedResNetLearnsUpdatesBatchNormAndStaysExportable(long seed) {
    ArchitectureSpec spec = ResNet.create(20, 28, 28, 1, 10, 0.5);
    TrainerConfig config = TrainerConfig.builder().epochs(3).finetuneEpochs(1).batchSize(100)
        .knobs(PruningKnobs.defaults().withStrength(4))
        .thetaOptimizer(TrainerConfig.ThetaOptimizer.ADAM).thetaLearningRate(0.05).seed(seed)
        .build();
    TrainingResult r = new PruningTrainer(config, null).train(spec, TRAIN, TEST);
    System.out.printf("ConvTrainingTest resnet-20 seed %d: %s, accuracy %.4f (bound %.4f)%n",
        seed, r.compactSpec().widthString(), r.testAccuracy(), Noise.aboveChance(TEST));

    // 60 steps from scratch through 19 gated conv layers learn something, not yet what the
    // nearest class mean knows: 4 standard errors above guessing the most frequent class on
    // these 300 examples (about 0.17)
    assertThat(r.testAccuracy()).isGreaterThanOrEqualTo(Noise.aboveChance(TEST));
    float[] mean = r.parameters().get("stem", ParameterSet.MOVING_MEAN).values();
    float[] var = r.parameters().get("stem", ParameterSet.MOVING_VARIANCE).values();
    assertThat(mean).as("moving means left their start, 0").isNotEqualTo(new float[mean.length]);
    assertThat(var[0]).as("moving variance left its start, 1").isNotEqualTo(1f);
    for (LayerSpec l : spec.layers()) {
      if (l instanceof ResidualBlock b && r.keep().count(b.conv1().name()) == 0) {
        assertThat(r.keep().flags(b.name())[0])
            .as("block %s has no live filter, so it is dead", b.name()).isFalse();
      }
    }
    assertExportable(r);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("leNet5Seeds")
  void gatedLeNet5LearnsAndPrunesFilters(long seed) {
    ArchitectureSpec spec = LeNet5.create();
    TrainerConfig config = TrainerConfig.builder().epochs(3).finetuneEpochs(1).batchSize(100)
        .knobs(PruningKnobs.defaults().withStrength(2))
        // Adam steps of 1 on theta: gates settle within this 3-epoch run
        .thetaOptimizer(TrainerConfig.ThetaOptimizer.ADAM).thetaLearningRate(1.0).seed(seed)
        .build();
    TrainingResult r = new PruningTrainer(config, null).train(spec, TRAIN, TEST);
    System.out.printf("ConvTrainingTest lenet-5 seed %d: %s, accuracy %.4f (bound %.4f)%n",
        seed, r.compactSpec().widthString(), r.testAccuracy(), learnedAccuracy());
    assertThat(r.testAccuracy()).isGreaterThanOrEqualTo(learnedAccuracy());
    // filters are pruned: a conv layer lost filters (any removed filter takes MACs off)
    assertThat(r.keep().count("conv0") + r.keep().count("conv1"))
        .isLessThan(r.keep().flags("conv0").length + r.keep().flags("conv1").length);
    assertThat(r.compactComplexity().macs()).isLessThan(r.denseComplexity().macs());
  }

  /**
   * The trained network exports, and the compact model computes the gated network on test
   * examples the exporter did not check, within the exporter's bound; the exported graph counts
   * the compact spec's MACs and parameters.
   */
  private static void assertExportable(TrainingResult r) {
    int count = 64;
    float[] checked = TEST.features(count);
    float[] all = TEST.features(2 * count);
    float[] other = Arrays.copyOfRange(all, count * 784, 2 * count * 784);
    HostTensor gated = CompactExporter.gatedLogits(r.spec(), r.parameters(), other, count);
    // batch norm kept as its own op: the graph then counts exactly the trainer's compact spec
    // (the default, folded export is checked on every reference model in ModelExportTest)
    try (CompactExporter.VerifiedModel m = CompactExporter.compact(r.spec(), r.parameters(),
        r.keep(), checked, count, org.tfprune.export.ServingSignature.DEFAULT,
        org.tfprune.export.ExportSettings.UNFOLDED)) {
      assertThat(m.model().predict(other, count).maxAbsDiff(gated))
          .isLessThanOrEqualTo(CompactExporter.DEFAULT_TOLERANCE);
      assertThat(SavedModelInspector.of(m.model().graphDef()).complexity())
          .isEqualTo(r.compactComplexity());
      assertThat(ComplexityCounter.count(m.model().spec())).isEqualTo(r.compactComplexity());
    }
  }
}
