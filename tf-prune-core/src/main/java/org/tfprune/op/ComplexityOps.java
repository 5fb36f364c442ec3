package org.tfprune.op;

import java.util.function.Function;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tfprune.complexity.CostAlgebra;
import org.tfprune.complexity.CostModel;
import org.tfprune.complexity.LayerCost;
import org.tfprune.spec.ArchitectureSpec;

/**
 * Expected complexity as graph ops: the {@link CostModel} formula evaluated on expected live
 * widths {@code E[n] = sum(theta)}, differentiable in theta. At binary theta it equals the exact
 * host-side count. Obtain it from {@link PruneOps#complexity}.
 */
public final class ComplexityOps implements CostAlgebra<Operand<TFloat32>> {
  private final Ops tf;

  ComplexityOps(Ops tf) {
    this.tf = tf;
  }

  /** Expected number of live structures of a gate group: {@code sum(theta)}. */
  public Operand<TFloat32> expectedWidth(Operand<TFloat32> theta) {
    return tf.reduceSum(theta, tf.constant(0));
  }

  /** Expected MACs and parameters of {@code spec} given each gate group's expected live width. */
  public LayerCost<Operand<TFloat32>> expected(ArchitectureSpec spec,
      Function<String, Operand<TFloat32>> liveWidth) {
    return CostModel.total(spec, liveWidth, this);
  }

  @Override
  public Operand<TFloat32> constant(double value) {
    return tf.constant((float) value);
  }

  @Override
  public Operand<TFloat32> add(Operand<TFloat32> a, Operand<TFloat32> b) {
    return tf.math.add(a, b);
  }

  @Override
  public Operand<TFloat32> mul(Operand<TFloat32> a, Operand<TFloat32> b) {
    return tf.math.mul(a, b);
  }
}
