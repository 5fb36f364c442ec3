package org.tfprune.examples.experiments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.KeepMask;

/** L1-norm ranking on a 3-4-2 network with hand-set weights. */
class L1NormPruningTest {
  private static final ArchitectureSpec SPEC = ArchitectureSpec.of("l1", InputSpec.flat(3, true),
      DenseLayer.gatedRelu("hidden", 4), DenseLayer.logits("out", 2));

  /** hidden/kernel rows = inputs, columns = units. */
  private static ParameterSet params() {
    Map<String, HostTensor> m = new LinkedHashMap<>();
    m.put("hidden/kernel", new HostTensor(new long[] {3, 4}, new float[] {
        1, -2, 0, 0.5f,
        0, 3, -1, 0.5f,
        -4, 0, 0, 0.5f}));
    m.put("hidden/bias", new HostTensor(new long[] {4}, new float[] {0, 0, 0, -1}));
    m.put("out/kernel", new HostTensor(new long[] {4, 2}, new float[8]));
    m.put("out/bias", new HostTensor(new long[] {2}, new float[2]));
    return new ParameterSet(m);
  }

  @Test
  void normsSumTheAbsoluteWeightsEachStructureOwns() {
    Map<String, double[]> n = L1NormPruning.norms(SPEC, params());
    assertThat(n.get("input")).containsExactly(3.5, 4.5, 4.5); // rows of hidden/kernel
    assertThat(n.get("hidden")).containsExactly(5, 5, 1, 2.5); // columns plus |bias|
  }

  @Test
  void keepsTheLargestNormsPerGroupWithTiesToTheLowerIndex() {
    KeepMask k = L1NormPruning.keep(SPEC, params(), Map.of("input", 2, "hidden", 1));
    assertThat(k.flags("input")).containsExactly(false, true, true);
    assertThat(k.flags("hidden")).containsExactly(true, false, false, false);
    assertThatThrownBy(() -> L1NormPruning.keep(SPEC, params(), Map.of("input", 2)))
        .hasMessageContaining("no target width for gate group 'hidden'");
    assertThatThrownBy(() -> L1NormPruning.keep(SPEC, params(), Map.of("input", 4, "hidden", 1)))
        .hasMessageContaining("cannot keep 4");
  }
}
