package org.tfprune.op;

import org.tensorflow.op.Ops;

/**
 * The tf-prune op group, created from an {@link Ops} like TF-Java's {@code FrameworkOps}:
 * {@code PruneOps prune = PruneOps.create(tf); prune.gates.perExample(...)}.
 */
public final class PruneOps {
  /** Gate sampling, straight-through path, deterministic gates, projection. */
  public final GateOps gates;
  /** Expected MACs and parameters as differentiable functions of theta. */
  public final ComplexityOps complexity;

  private final Ops tf;

  private PruneOps(Ops tf) {
    this.tf = tf;
    this.gates = new GateOps(tf);
    this.complexity = new ComplexityOps(tf);
  }

  public static PruneOps create(Ops tf) {
    return new PruneOps(tf);
  }

  /** The core ops this group builds with. */
  public Ops tf() {
    return tf;
  }

  /** The same group in a sub-scope (op names prefixed by {@code name/}). */
  public PruneOps withSubScope(String name) {
    return new PruneOps(tf.withSubScope(name));
  }
}
