package org.tfprune.loss;

import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;

/**
 * Where the loss may take a slowly changing, gradient-free tensor from a cache instead of
 * recomputing it every step: the structure norms {@code |w_s|^2} and the prior's per-weight
 * coefficients. A trainer implements it with variables refreshed every few steps; {@link #NONE}
 * computes everything live (exact).
 */
@FunctionalInterface
public interface TensorCache {
  /** The tensor to use in place of {@code live}, whose static shape is fully known. */
  Operand<TFloat32> cached(String name, Operand<TFloat32> live);

  /** No cache: every tensor is computed in every step. */
  TensorCache NONE = (name, live) -> live;
}
