package org.tfprune.complexity;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.LayerSpec;

/**
 * The one formula for the cost of a network: multiply-accumulates (MACs) and parameters per layer,
 * as a function of the (expected) number of live structures in each gate group. A dense layer with
 * {@code n_in} live inputs and {@code n_out} live units costs {@code n_in * n_out} MACs and
 * {@code n_in * n_out + n_out} parameters, so removing a unit also removes the next layer's input
 * row. With independent gates {@code E[n_in * n_out] = E[n_in] E[n_out]}, so feeding expected
 * widths gives exact expectations.
 */
public final class CostModel {
  private CostModel() {}

  /**
   * Per-layer costs of {@code spec}.
   *
   * @param liveWidth for each gate group name, the (expected) number of live structures
   */
  public static <N> List<LayerCost<N>> layers(ArchitectureSpec spec, Function<String, N> liveWidth,
      CostAlgebra<N> alg) {
    List<LayerCost<N>> out = new ArrayList<>();
    N width = spec.input().gated()
        ? liveWidth.apply(InputSpec.GATE_GROUP) : alg.constant(spec.input().width());
    for (LayerSpec l : spec.layers()) {
      N outWidth = l.gated() ? liveWidth.apply(l.name()) : alg.constant(l.width());
      if (l instanceof DenseLayer d) {
        N macs = alg.mul(width, outWidth);
        out.add(new LayerCost<>(d.name(), macs, alg.add(macs, outWidth)));
      } else {
        throw new IllegalArgumentException("no cost rule for layer type " + l.getClass());
      }
      width = outWidth;
    }
    return out;
  }

  /** Total cost of {@code spec}: MACs and parameters summed over layers. */
  public static <N> LayerCost<N> total(ArchitectureSpec spec, Function<String, N> liveWidth,
      CostAlgebra<N> alg) {
    N macs = alg.constant(0);
    N params = alg.constant(0);
    for (LayerCost<N> c : layers(spec, liveWidth, alg)) {
      macs = alg.add(macs, c.macs());
      params = alg.add(params, c.params());
    }
    return new LayerCost<>("total", macs, params);
  }
}
