package org.tfprune.build;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.GateGroup;
import org.tfprune.op.GateMode;
import org.tfprune.op.PruneOps;
import org.tfprune.spec.InputSpec;

/**
 * How a gated network's sampled passes draw their gates: one key for every draw of a run, and per
 * gate group the negated uniform draws behind its samples (fed by a trainer or drawn in the
 * graph from the key), turned into straight-through Bernoulli samples of theta.
 */
final class GateSampling {
  private final Operand<TInt64> key;
  private final ImmutableMap<String, Operand<TFloat32>> uniforms;

  /** The key and draws of {@code spec}'s gate groups for a batch of {@code batchSize}. */
  GateSampling(Ops tf, ArchitectureSpec spec, Operand<TInt32> batchSize, long seed) {
    this.key = PruneOps.create(tf.withSubScope("gate_key")).gates.freshKey(seed);
    ImmutableMap.Builder<String, Operand<TFloat32>> u = ImmutableMap.builder();
    Ops us = tf.withSubScope("gate_uniforms");
    for (GateGroup g : spec.gateGroups()) {
      boolean perBatch = g.name().equals(InputSpec.GATE_GROUP);
      Operand<TInt32> shape = perBatch ? us.constant(new int[] {g.size()})
          : us.concat(List.of(batchSize, us.constant(new int[] {g.size()})), us.constant(0));
      Operand<TFloat32> drawn = us.math.neg(us.random.statelessRandomUniform(shape,
          keyOf(us, g.name()), TFloat32.class));
      u.put(g.name(), us.withName(g.name()).placeholderWithDefault(drawn,
          perBatch ? Shape.of(g.size()) : Shape.of(-1, g.size())));
    }
    this.uniforms = u.build();
  }

  /** The {@code [2]} int64 key of every draw. */
  Operand<TInt64> key() {
    return key;
  }

  /** The negated draws per gate group. */
  ImmutableMap<String, Operand<TFloat32>> negatedUniforms() {
    return uniforms;
  }

  /** The sampling key of one gate group: the graph's key offset by a salt of the group's name. */
  private Operand<TInt64> keyOf(Ops s, String group) {
    return s.math.add(key, s.constant(new long[] {0, group.hashCode() & 0x7fffffffL}));
  }

  /**
   * The gate values of {@code group} under {@code theta}: deterministic ({@code theta >= 0.5}),
   * or the straight-through sample, whose offset is recorded in {@code offsets}.
   */
  Operand<TFloat32> value(PruneOps p, String group, Operand<TFloat32> theta, GateMode mode,
      Map<String, Operand<TFloat32>> offsets) {
    if (mode == GateMode.DETERMINISTIC) {
      return p.gates.deterministic(theta);
    }
    checkArgument(mode == GateMode.SAMPLED, "gate mode %s has no gate values", mode);
    Operand<TFloat32> offset = p.gates.straightThroughOffset(theta);
    offsets.put(group, offset);
    return p.gates.withOffset(p.gates.bernoulliOfNegated(theta, uniforms.get(group)), offset);
  }
}
