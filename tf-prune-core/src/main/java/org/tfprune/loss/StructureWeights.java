package org.tfprune.loss;

import com.google.common.collect.ImmutableList;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tfprune.build.NetworkGraph;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.LayerSpec;

/**
 * Which weights each gated structure owns, the one place that knows it: an input feature owns its
 * outgoing row of the first kernel; a dense unit owns its incoming kernel column and its bias. The
 * prior, its analytic weight gradient and the pruning condition all read from here.
 */
public final class StructureWeights {
  private StructureWeights() {}

  /**
   * One slice of ownership: structure {@code i} of gate group {@code group} owns index {@code i}
   * along {@code axis} of variable {@code variable}.
   */
  public record Owned(String variable, String group, int axis, int rank) {}

  /** The ownership table of a spec's gate groups. */
  public static ImmutableList<Owned> ownership(ArchitectureSpec spec) {
    ImmutableList.Builder<Owned> b = ImmutableList.builder();
    if (spec.input().gated()) {
      b.add(new Owned(ParameterSet.key(spec.layers().get(0).name(), ParameterSet.KERNEL),
          InputSpec.GATE_GROUP, 0, 2));
    }
    for (LayerSpec l : spec.layers()) {
      if (l.gated() && l instanceof DenseLayer) {
        b.add(new Owned(ParameterSet.key(l.name(), ParameterSet.KERNEL), l.name(), 1, 2));
        b.add(new Owned(ParameterSet.key(l.name(), ParameterSet.BIAS), l.name(), 0, 1));
      } else if (l.gated()) {
        throw new IllegalArgumentException("no ownership rule for layer type " + l.getClass());
      }
    }
    return b.build();
  }

  /** The prior scales of a gate group, from the spec's shapes. */
  public static PriorScales scales(ArchitectureSpec spec, String group) {
    int n = 0;
    int fanIn = -1;
    for (Owned o : ownership(spec)) {
      if (o.group().equals(group)) {
        if (o.group().equals(InputSpec.GATE_GROUP)) {
          n += spec.layers().get(0).width();
          fanIn = spec.input().width();
        } else {
          int i = spec.layers().indexOf(spec.layer(group));
          n += o.rank() == 2 ? spec.inputWidthOf(i) : 1;
          fanIn = spec.inputWidthOf(i);
        }
      }
    }
    if (n == 0) {
      throw new IllegalArgumentException("no gate group '" + group + "' in spec " + spec.name());
    }
    return PriorScales.forLayer(fanIn, n);
  }

  /**
   * {@code |w_s|^2} for every structure of every gate group, {@code [size]} each. These norms
   * carry no gradient (the prior's weight gradient is {@link #quadraticGradients analytic}), so
   * they are computed with one fused reduction per axis.
   */
  public static Map<String, Operand<TFloat32>> squaredNorms(Ops s, NetworkGraph net) {
    Map<String, Operand<TFloat32>> norms = new LinkedHashMap<>();
    for (Owned o : ownership(net.spec())) {
      Operand<TFloat32> v = s.identity(net.variable(o.variable()));
      Operand<TFloat32> part = o.rank() == 1 ? s.math.square(v)
          : s.math.square(s.linalg.euclideanNorm(v, s.constant(o.axis() == 0 ? 1 : 0)));
      norms.merge(o.group(), s.stopGradient(part), s.math::add);
    }
    return norms;
  }

  /** {@code |w_s|^2} for every structure of one gate group. */
  public static Operand<TFloat32> squaredNorms(Ops s, NetworkGraph net, String group) {
    Operand<TFloat32> n = squaredNorms(s, net).get(group);
    if (n == null) {
      throw new IllegalArgumentException("no gate group '" + group + "' in " + net.spec().name());
    }
    return n;
  }

  /**
   * The gradient of {@code sum_s c_s |w_s|^2} with respect to each owned variable, given a
   * per-structure coefficient {@code c_s} for each group: {@code 2 w * C}, where {@code C}
   * broadcasts the coefficients of every group owning part of the variable. Adding it to the
   * autodiff gradient analytically avoids TensorFlow's broadcast-heavy generic backward pass
   * through squares and reductions.
   */
  public static Map<String, Operand<TFloat32>> quadraticGradients(Ops s, NetworkGraph net,
      Map<String, Operand<TFloat32>> coefficients) {
    Map<String, List<Operand<TFloat32>>> perVariable = new LinkedHashMap<>();
    for (Owned o : ownership(net.spec())) {
      Operand<TFloat32> c = s.math.mul(coefficients.get(o.group()), s.constant(2f));
      if (o.rank() == 2) {
        c = s.expandDims(c, s.constant(o.axis() == 0 ? 1 : 0));
      }
      perVariable.computeIfAbsent(o.variable(), v -> new ArrayList<>()).add(c);
    }
    Map<String, Operand<TFloat32>> grads = new LinkedHashMap<>();
    perVariable.forEach((v, cs) -> {
      Operand<TFloat32> c = cs.get(0);
      for (int i = 1; i < cs.size(); i++) {
        c = s.math.add(c, cs.get(i));
      }
      grads.put(v, s.math.mul(s.identity(net.variable(v)), c));
    });
    return grads;
  }
}
