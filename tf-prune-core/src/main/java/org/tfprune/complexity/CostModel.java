package org.tfprune.complexity;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.Conv2DLayer;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.FeatureMap;
import org.tfprune.spec.FixedLayer;
import org.tfprune.spec.FlattenLayer;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.LayerSpec;
import org.tfprune.spec.PassThroughLayer;
import org.tfprune.spec.ResidualBlock;

/**
 * The one formula for the cost of a network: multiply-accumulates (MACs) and parameters per layer,
 * as a function of the (expected) number of live structures in each gate group. A convolution
 * costs {@code kh * kw * H_out * W_out * C_in * C_out}; a residual block's branch is multiplied by
 * its block gate. A dense layer with
 * {@code n_in} live inputs and {@code n_out} live units costs {@code n_in * n_out} MACs and
 * {@code n_in * n_out + n_out} parameters, so removing a unit also removes the next layer's input
 * row. With independent gates {@code E[n_in * n_out] = E[n_in] E[n_out]}, so feeding expected
 * widths gives exact expectations. The channels of a coupled residual stream ({@code
 * StreamGroup}) are one gate group: the stage's head, every block's last conv and projection
 * output them, and every consumer (each block's first conv, the next projection, the dense layer
 * after pooling) reads them, so each of these factors is the group's live width; no conv has the
 * same group on both sides, so the products stay exact expectations. A depthwise conv keeps its
 * input's live channels and costs {@code kh * kw * H_out * W_out} per channel.
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
    List<FeatureMap> shapes = spec.shapes();
    N width = spec.input().gated()
        ? liveWidth.apply(InputSpec.GATE_GROUP)
        : alg.constant(spec.input().featureMap().channels());
    for (int i = 0; i < spec.layers().size(); i++) {
      LayerSpec l = spec.layers().get(i);
      FeatureMap in = shapes.get(i);
      FeatureMap o = shapes.get(i + 1);
      if (l instanceof DenseLayer d) {
        N outWidth = d.gated() ? liveWidth.apply(d.name()) : alg.constant(d.units());
        N macs = alg.mul(width, outWidth);
        out.add(new LayerCost<>(d.name(), macs, alg.add(macs, outWidth)));
        width = outWidth;
      } else if (l instanceof Conv2DLayer c && c.depthwise()) {
        out.add(conv(c, o.positions(), alg.constant(1), width, alg)); // channel c reads c alone
      } else if (l instanceof Conv2DLayer c) {
        String stream = spec.gatedStreamOf(c.name());
        N outWidth = c.gated() ? liveWidth.apply(c.name())
            : stream != null ? liveWidth.apply(stream) : alg.constant(c.filters());
        out.add(conv(c, o.positions(), width, outWidth, alg));
        width = outWidth;
      } else if (l instanceof ResidualBlock r) {
        FeatureMap mid = r.conv1().outputShape(in);
        N inner = r.conv1().gated() ? liveWidth.apply(r.conv1().name())
            : alg.constant(r.innerWidth());
        String streamGroup = spec.gatedStreamOf(r.name());
        N stream = streamGroup != null ? liveWidth.apply(streamGroup) : alg.constant(r.width());
        LayerCost<N> c1 = conv(r.conv1(), mid.positions(), width, inner, alg);
        N middle = r.middle() == null ? inner : r.middle().gated()
            ? liveWidth.apply(r.middle().name()) : alg.constant(r.middle().filters());
        LayerCost<N> c2 = conv(r.conv2(), o.positions(), middle, stream, alg);
        N gate = r.gated() ? liveWidth.apply(r.name()) : alg.constant(1);
        N branchMacs = alg.add(c1.macs(), c2.macs());
        N branchParams = alg.add(c1.params(), c2.params());
        if (r.middle() != null) { // reads conv1's live filters, writes its own live filters
          LayerCost<N> m = conv(r.middle(), r.middleShape(in).positions(), inner,
              middle, alg);
          branchMacs = alg.add(branchMacs, m.macs());
          branchParams = alg.add(branchParams, m.params());
        }
        if (r.depthwise() != null) { // channel c reads conv1's filter c alone
          LayerCost<N> dw = conv(r.depthwise(), r.depthwise().outputShape(mid).positions(),
              alg.constant(1), inner, alg);
          branchMacs = alg.add(branchMacs, dw.macs());
          branchParams = alg.add(branchParams, dw.params());
        }
        N macs = alg.mul(gate, branchMacs);
        N params = alg.mul(gate, branchParams);
        if (r.shortcut() != null) {
          LayerCost<N> sc = conv(r.shortcut(), o.positions(), width, stream, alg);
          macs = alg.add(macs, sc.macs());
          params = alg.add(params, sc.params());
        }
        if (r.preActivation() != null) { // batch norm's four values per input channel
          params = alg.add(params, alg.mul(width, alg.constant(4)));
        }
        out.add(new LayerCost<>(r.name(), macs, params));
        width = stream;
      } else if (l instanceof FlattenLayer) {
        width = alg.mul(width, alg.constant(in.positions()));
      } else if (l instanceof FixedLayer f) { // fixed: its own ops' MACs, its frozen weights
        out.add(new LayerCost<>(f.name(), alg.constant(f.macs()), alg.constant(f.params())));
        width = alg.constant(o.channels());
      } else if (!(l instanceof PassThroughLayer)) {
        throw new IllegalArgumentException("no cost rule for layer type " + l.getClass());
      }
    }
    return out;
  }

  /**
   * A convolution producing {@code positions} output positions: {@code k^2 * positions * in *
   * out} MACs; {@code k^2 * in * out} kernel weights plus a bias, or batch norm's four values
   * (scale, offset, moving mean and variance), or both (batch norm after the activation), per
   * output channel.
   */
  private static <N> LayerCost<N> conv(Conv2DLayer c, int positions, N in, N out,
      CostAlgebra<N> alg) {
    N kernel = alg.mul(alg.constant(c.kernelSize() * c.kernelSize()), alg.mul(in, out));
    N macs = alg.mul(kernel, alg.constant(positions));
    N params = alg.add(kernel, alg.mul(out, alg.constant((c.hasBias() ? 1 : 0)
        + (c.hasBatchNorm() ? 4 : 0))));
    return new LayerCost<>(c.name(), macs, params);
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
