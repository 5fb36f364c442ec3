package org.tfprune.loss;

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
 * prior and the pruning condition both read structure norms from here.
 */
public final class StructureWeights {
  private StructureWeights() {}

  /** The prior scales of a gate group, from the spec's shapes. */
  public static PriorScales scales(ArchitectureSpec spec, String group) {
    if (group.equals(InputSpec.GATE_GROUP)) {
      // an input feature owns its outgoing row of the first kernel
      return PriorScales.forLayer(spec.input().width(), spec.layers().get(0).width());
    }
    for (int i = 0; i < spec.layers().size(); i++) {
      LayerSpec l = spec.layers().get(i);
      if (l.name().equals(group) && l instanceof DenseLayer) {
        // a unit owns its incoming column and its bias
        return PriorScales.forLayer(spec.inputWidthOf(i), spec.inputWidthOf(i) + 1);
      }
    }
    throw new IllegalArgumentException("no gate group '" + group + "' in spec " + spec.name());
  }

  /** {@code |w_s|^2} for every structure of a gate group, {@code [size]}. */
  public static Operand<TFloat32> squaredNorms(Ops s, NetworkGraph net, String group) {
    ArchitectureSpec spec = net.spec();
    if (group.equals(InputSpec.GATE_GROUP)) {
      String first = spec.layers().get(0).name();
      return s.reduceSum(square(s, net.variable(ParameterSet.key(first, ParameterSet.KERNEL))),
          s.constant(1));
    }
    Operand<TFloat32> k = square(s, net.variable(ParameterSet.key(group, ParameterSet.KERNEL)));
    Operand<TFloat32> b = square(s, net.variable(ParameterSet.key(group, ParameterSet.BIAS)));
    return s.math.add(s.reduceSum(k, s.constant(0)), b);
  }

  private static Operand<TFloat32> square(Ops s, Operand<TFloat32> v) {
    // tf.math.square straight on a VariableV2 crashes the JVM in TF-Java 1.0: read it first.
    return s.math.square(s.identity(v));
  }
}
