package org.tfprune.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.slice.WeightSlicer;
import org.tfprune.spec.Activation;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.Conv2DLayer;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.FlattenLayer;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.KeepMask;
import org.tfprune.spec.Padding;
import org.tfprune.testing.Mnist;
import org.tfprune.testing.TinyResNet;

/**
 * The export check's rounding bound ({@link RoundingBound}): the square network computes what
 * the derivation says, a correct folded conv export passes, and one kept weight off by 1e-3 in
 * the compact model is refused.
 */
class ExportBoundTest {
  private static final ArchitectureSpec RESNET = TinyResNet.coupled();
  private static final int COUNT = 64;

  /** {@code params} with {@code delta} added to element {@code index} of {@code name}. */
  static ParameterSet perturbed(ParameterSet params, String name, int index, float delta) {
    float[] v = params.get(name).values();
    v[index] += delta;
    return params.with(name, new HostTensor(params.get(name).shape(), v));
  }

  @Test
  void squareNetworkOfADenseLayerIsTheSumOfSquaredTerms() {
    ArchitectureSpec spec = ArchitectureSpec.of("one", InputSpec.flat(3, false),
        new DenseLayer("d", 2, Activation.IDENTITY, false));
    Map<String, HostTensor> m = new LinkedHashMap<>();
    m.put("d/kernel", new HostTensor(new long[] {3, 2}, new float[] {1, -2, 3, 0.5f, -1, 4}));
    m.put("d/bias", new HostTensor(new long[] {2}, new float[] {-3, 0.25f}));
    HostTensor q = CompactExporter.gatedLogits(spec,
        RoundingBound.squareParameters(spec, new ParameterSet(m)),
        new float[] {4, 9, 1}, 1); // the squares of x = (2, -3, 1)
    // sum_k (w_k x_k)^2 + b^2: 4 + 81 + 1 + 9 = 95 and 16 + 2.25 + 16 + 0.0625 = 34.3125
    assertThat(q.values()).containsExactly(95f, 34.3125f);
  }

  @Test
  void squareNetworkOfBatchNormIsItsScaledSquareWithTheMeanAdded() {
    Conv2DLayer c = new Conv2DLayer("c", 1, 1, 1, Padding.VALID, true, Activation.IDENTITY,
        false);
    ArchitectureSpec spec = ArchitectureSpec.of("bn", InputSpec.of(1, 1, 1), c,
        new FlattenLayer("f"), new DenseLayer("d", 1, Activation.IDENTITY, false));
    Map<String, HostTensor> m = new LinkedHashMap<>();
    m.put("c/kernel", new HostTensor(new long[] {1, 1, 1, 1}, new float[] {-2}));
    m.put("c/gamma", new HostTensor(new long[] {1}, new float[] {1.5f}));
    m.put("c/beta", new HostTensor(new long[] {1}, new float[] {-0.5f}));
    m.put("c/moving_mean", new HostTensor(new long[] {1}, new float[] {3}));
    m.put("c/moving_variance", new HostTensor(new long[] {1}, new float[] {4}));
    m.put("d/kernel", new HostTensor(new long[] {1, 1}, new float[] {1}));
    m.put("d/bias", new HostTensor(new long[] {1}, new float[] {0}));
    HostTensor q = CompactExporter.gatedLogits(spec,
        RoundingBound.squareParameters(spec, new ParameterSet(m)), new float[] {1}, 1);
    // ((w x)^2 + mean^2) gamma^2 / (var + eps) + beta^2 with x = 1
    double eps = c.batchNormEpsilon();
    assertThat((double) q.get(0)).isCloseTo((4 + 9) * 2.25 / (4 + eps) + 0.25, within(1e-5));
  }

  @Test
  void roundingsCountFanInsAndTheOpsOfEachLayer() {
    // dense 784 -> 300 -> 100 -> 10: fan-in + bias + product per layer
    ArchitectureSpec lenet = ArchitectureSpec.of("lenet", InputSpec.flat(784, false),
        DenseLayer.gatedRelu("a", 300), DenseLayer.gatedRelu("b", 100),
        DenseLayer.logits("c", 10));
    assertThat(RoundingBound.roundings(lenet, false)).isEqualTo(786 + 302 + 102);
    // a 3x3 conv with batch norm on 4 channels: 36 + 2 + 5; folded: its bias and 2 foldings
    ArchitectureSpec conv = ArchitectureSpec.of("conv", InputSpec.of(5, 5, 4),
        Conv2DLayer.bnRelu("k", 8, 1), new FlattenLayer("f"), DenseLayer.logits("out", 10));
    // then the logits layer on 5 * 5 * 8 features: 200 + 2
    assertThat(RoundingBound.roundings(conv, false)).isEqualTo(43 + 202);
    ArchitectureSpec folded = BatchNormFolding.fold(conv, org.tfprune.build.ParameterInitializer
        .initialize(conv, 1, 1f)).spec();
    assertThat(RoundingBound.roundings(folded, true)).isEqualTo(36 + 2 + 2 + 202);
  }

  @Test
  void foldedConvExportPassesAndOneWrongFoldedWeightIsRefused() {
    ParameterSet params = CoupledStreamExportTest.parameters();
    KeepMask keep = KeepMask.fromTheta(params.thetas());
    float[] x = Mnist.test(COUNT).features();
    ArchitectureSpec compact = RESNET.compact(keep);
    BatchNormFolding.Folded folded = BatchNormFolding.fold(compact,
        WeightSlicer.slice(RESNET, params, keep));
    try (CompactExporter.VerifiedModel ok = CompactExporter.verify(RESNET, params, x, COUNT,
        folded.spec(), folded.parameters(), ServingSignature.DEFAULT, true)) {
      System.out.printf("tiny resnet folded: max diff %.3g, %.3g of the bound (bound there "
          + "%.3g)%n", ok.maxAbsDiff(), ok.fractionOfBound(), ok.boundAtMaxDiff());
    }
    for (String name : new String[] {"stem/kernel", "s2b1_conv2/kernel", "s2b1_conv2/bias",
        "output/kernel"}) {
      ParameterSet wrong = perturbed(folded.parameters(), name, 0, 1e-3f);
      assertThatThrownBy(() -> CompactExporter.verify(RESNET, params, x, COUNT, folded.spec(),
          wrong, ServingSignature.DEFAULT, true).close())
          .as(name).isInstanceOf(ExportException.class)
          .hasMessageContaining("differs from the gated network")
          .hasMessageContaining("nothing was written");
    }
  }
}
