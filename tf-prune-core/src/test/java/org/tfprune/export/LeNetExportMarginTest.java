package org.tfprune.export;

import static org.assertj.core.api.Assertions.assertThat;
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

  private static float[] squares(float[] x) {
    float[] y = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = x[i] * x[i];
    }
    return y;
  }

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
          + "largest difference %.3g%n", seed, v.model().spec().widthString(), r.testAccuracy(), v.maxAbsDiff(),
          v.fractionOfBound(), v.fractionOfBound() * RoundingBound.LAMBDA, v.boundAtMaxDiff());
      assertThat(v.fractionOfBound()).isLessThanOrEqualTo(1);
    }
    ArchitectureSpec compact = r.spec().compact(r.keep());
    ParameterSet sliced = WeightSlicer.slice(r.spec(), r.parameters(), r.keep());
    if (Boolean.getBoolean("tfprune.margin.detail")) {
      org.tfprune.slice.HostTensor g = CompactExporter.gatedLogits(r.spec(), r.parameters(), x,
          COUNT);
      org.tfprune.slice.HostTensor q = CompactExporter.gatedLogits(r.spec(),
          RoundingBound.squareParameters(r.spec(), r.parameters()), squares(x), COUNT);
      try (InferenceModel m = InferenceModel.of(compact, sliced)) {
        org.tfprune.slice.HostTensor cl = m.predict(x, COUNT);
        Integer[] idx = new Integer[g.size()];
        for (int i = 0; i < idx.length; i++) {
          idx[i] = i;
        }
        java.util.Arrays.sort(idx, (a, b) -> Double.compare(
            Math.abs(cl.get(b) - g.get(b)) / Math.hypot(Math.sqrt(q.get(b)), g.get(b)),
            Math.abs(cl.get(a) - g.get(a)) / Math.hypot(Math.sqrt(q.get(a)), g.get(a))));
        for (int k = 0; k < 4; k++) {
          int i = idx[k];
          System.out.printf("  logit %d: diff %.3g sqrtQ %.3g |logit| %.3g%n", i,
              Math.abs(cl.get(i) - g.get(i)), Math.sqrt(q.get(i)), Math.abs(g.get(i)));
        }
      }
    }
    for (String name : new String[] {"output/bias", "output/kernel"}) {
      ParameterSet wrong = ExportBoundTest.perturbed(sliced, name, 0, 1e-3f);
      assertThatThrownBy(() -> CompactExporter.verify(r.spec(), r.parameters(), x, COUNT, compact,
          wrong, ServingSignature.DEFAULT, false).close()).as(name)
          .isInstanceOf(ExportException.class);
    }
  }
}
