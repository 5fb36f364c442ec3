package org.tfprune.complexity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tfprune.op.PruneOps;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.KeepMask;
import org.tfprune.testing.Tf;

class ComplexityTest {
  /** LeNet-300-100 as tf-prune-models builds it (core tests cannot depend on that module). */
  static ArchitectureSpec lenet() {
    return ArchitectureSpec.of("lenet-300-100", InputSpec.flat(784, true),
        DenseLayer.gatedRelu("dense0", 300), DenseLayer.gatedRelu("dense1", 100),
        DenseLayer.logits("output", 10));
  }

  private static boolean[] firstKept(int n, int kept) {
    boolean[] b = new boolean[n];
    Arrays.fill(b, 0, kept, true);
    return b;
  }

  @Test
  void lenet300100CountsEqualTheFormula() {
    Complexity c = ComplexityCounter.count(lenet());
    assertThat(c.macs()).isEqualTo(784L * 300 + 300 * 100 + 100 * 10).isEqualTo(266_200L);
    assertThat(c.params()).isEqualTo(266_200L + 300 + 100 + 10).isEqualTo(266_610L);
    assertThat(ComplexityCounter.count(lenet().withoutGates())).isEqualTo(c);
  }

  @Test
  void perLayerCountsSumToTheTotal() {
    Map<String, Complexity> per = ComplexityCounter.perLayer(lenet());
    assertThat(per.keySet()).containsExactly("dense0", "dense1", "output");
    assertThat(per.get("dense0")).isEqualTo(new Complexity(784 * 300, 784 * 300 + 300));
    assertThat(per.get("dense1")).isEqualTo(new Complexity(300 * 100, 300 * 100 + 100));
    assertThat(per.get("output")).isEqualTo(new Complexity(100 * 10, 100 * 10 + 10));
  }

  @Test
  void countsUnderAKeepMaskCountThePrunedInputRowsOfTheNextLayer() {
    Map<String, boolean[]> m = new LinkedHashMap<>();
    m.put("input", firstKept(784, 500));
    m.put("dense0", firstKept(300, 120));
    m.put("dense1", firstKept(100, 30));
    Complexity c = ComplexityCounter.count(lenet(), KeepMask.of(m));
    long macs = 500L * 120 + 120 * 30 + 30 * 10;
    assertThat(c.macs()).isEqualTo(macs);
    assertThat(c.params()).isEqualTo(macs + 120 + 30 + 10);
    assertThat(c.macsRatio(ComplexityCounter.count(lenet())))
        .isCloseTo(macs / 266_200.0, within(1e-12));
  }

  @Test
  void graphExpectationEqualsHostCountAtBinaryTheta() {
    Map<String, boolean[]> m = new LinkedHashMap<>();
    m.put("input", pattern(784, 3));
    m.put("dense0", pattern(300, 5));
    m.put("dense1", pattern(100, 2));
    Complexity host = ComplexityCounter.count(lenet(), KeepMask.of(m));
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      PruneOps prune = PruneOps.create(tf);
      Map<String, Operand<TFloat32>> theta = new LinkedHashMap<>();
      m.forEach((k, v) -> theta.put(k, tf.constant(toFloat(v))));
      LayerCost<Operand<TFloat32>> e = prune.complexity.expected(lenet(),
          k -> prune.complexity.expectedWidth(theta.get(k)));
      assertThat((double) Tf.fetch(s, e.macs())[0]).isCloseTo(host.macs(), within(0.5));
      assertThat((double) Tf.fetch(s, e.params())[0]).isCloseTo(host.params(), within(0.5));
    }
  }

  /** A tiny spec: 3 gated inputs, 2 gated hidden units, 2 logits: 2^5 gate states. */
  @Test
  void graphExpectationEqualsBruteForceExpectationOverAllGateStatesAtFractionalTheta() {
    ArchitectureSpec tiny = ArchitectureSpec.of("tiny", InputSpec.flat(3, true),
        DenseLayer.gatedRelu("hidden", 2), DenseLayer.logits("out", 2));
    float[] tIn = {0.2f, 0.55f, 0.9f};
    float[] tH = {0.35f, 0.7f};
    double eMacs = 0;
    double eParams = 0;
    for (int state = 0; state < 32; state++) {
      double p = 1;
      int nIn = 0;
      int nH = 0;
      for (int k = 0; k < 3; k++) {
        boolean on = (state >> k & 1) == 1;
        p *= on ? tIn[k] : 1.0 - tIn[k];
        nIn += on ? 1 : 0;
      }
      for (int j = 0; j < 2; j++) {
        boolean on = (state >> (3 + j) & 1) == 1;
        p *= on ? tH[j] : 1.0 - tH[j];
        nH += on ? 1 : 0;
      }
      // dense hidden: nIn*nH MACs, nIn*nH + nH params; logits: nH*2 MACs, nH*2 + 2 params
      double macs = nIn * nH + nH * 2;
      double params = nIn * nH + nH + nH * 2 + 2;
      eMacs += p * macs;
      eParams += p * params;
    }
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      PruneOps prune = PruneOps.create(tf);
      Map<String, Operand<TFloat32>> theta = Map.of("input", tf.constant(tIn),
          "hidden", tf.constant(tH));
      LayerCost<Operand<TFloat32>> e = prune.complexity.expected(tiny,
          k -> prune.complexity.expectedWidth(theta.get(k)));
      double macs = Tf.fetch(s, e.macs())[0];
      double params = Tf.fetch(s, e.params())[0];
      assertThat(macs).isCloseTo(eMacs, within(1e-4 * eMacs));
      assertThat(params).isCloseTo(eParams, within(1e-4 * eParams));
    }
    // the host formula evaluated on expected widths gives the same numbers
    LayerCost<Double> hostExpected = CostModel.total(tiny,
        k -> k.equals("input") ? (double) tIn[0] + tIn[1] + tIn[2] : (double) tH[0] + tH[1],
        CostAlgebra.HOST);
    assertThat(hostExpected.macs()).isCloseTo(eMacs, within(1e-9 * eMacs));
    assertThat(hostExpected.params()).isCloseTo(eParams, within(1e-9 * eParams));
  }

  private static boolean[] pattern(int n, int every) {
    boolean[] b = new boolean[n];
    for (int i = 0; i < n; i++) {
      b[i] = i % every != 0;
    }
    return b;
  }

  private static float[] toFloat(boolean[] b) {
    float[] f = new float[b.length];
    for (int i = 0; i < b.length; i++) {
      f[i] = b[i] ? 1f : 0f;
    }
    return f;
  }
}
