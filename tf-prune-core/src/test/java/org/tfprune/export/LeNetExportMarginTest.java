package org.tfprune.export;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tfprune.loss.PruningKnobs;
import org.tfprune.slice.ParameterSet;
import org.tfprune.slice.WeightSlicer;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.InputSpec;
import org.tfprune.testing.Mnist;
import org.tfprune.train.PruningTrainer;
import org.tfprune.train.TrainerConfig;
import org.tfprune.train.TrainingResult;

/**
 * The export check's margin on a real export, run by hand ({@code -Dtfprune.margin=true}): a gated
 * LeNet-300-100 trained briefly on 6000 MNIST examples, exported and verified on 1000 test
 * examples; prints the difference, its fraction of the rounding bound and the bound, and checks
 * that a single kept weight off by 1e-3 (an output bias, an output kernel weight) is refused.
 */
@EnabledIfSystemProperty(named = "tfprune.margin", matches = "true")
class LeNetExportMarginTest {
  private static final ArchitectureSpec SPEC = ArchitectureSpec.of("lenet-300-100",
      InputSpec.flat(784, true), DenseLayer.gatedRelu("dense0", 300),
      DenseLayer.gatedRelu("dense1", 100), DenseLayer.logits("output", 10));
  private static final int COUNT = 1000;

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3})
  void realExportPassesWithAMarginAndAWrongWeightIsRefused(long seed) {
    TrainerConfig c = TrainerConfig.builder().knobs(PruningKnobs.defaults().withStrength(1))
        .epochs(4).batchSize(100).seed(seed).build();
    TrainingResult r = new PruningTrainer(c, null).train(SPEC, Mnist.train(6000),
        Mnist.test(COUNT));
    float[] x = Mnist.test(COUNT).features();
    try (CompactExporter.VerifiedModel v = CompactExporter.compact(r.spec(), r.parameters(),
        r.keep(), x, COUNT)) {
      System.out.printf("lenet-300-100 seed %d: compact %s, accuracy %.4f, max |compact - gated| "
          + "%.3g, largest fraction of the bound %.3g (%.2f standard deviations), bound at the "
          + "largest difference %.3g%n", seed, v.model().spec().widthString(), r.testAccuracy(),
          v.maxAbsDiff(), v.fractionOfBound(), v.fractionOfBound() * RoundingBound.LAMBDA,
          v.boundAtMaxDiff());
    }
    ArchitectureSpec compact = r.spec().compact(r.keep());
    ParameterSet sliced = WeightSlicer.slice(r.spec(), r.parameters(), r.keep());
    for (String name : new String[] {"output/bias", "output/kernel"}) {
      ParameterSet wrong = ExportBoundTest.perturbed(sliced, name, 0, 1e-3f);
      assertThatThrownBy(() -> CompactExporter.verify(r.spec(), r.parameters(), x, COUNT, compact,
          wrong, ServingSignature.DEFAULT, false).close()).as(name)
          .isInstanceOf(ExportException.class);
    }
  }
}
