package org.tfprune.build;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.util.Optional;
import org.tensorflow.Operand;
import org.tensorflow.op.Op;
import org.tensorflow.types.TFloat32;

/**
 * The outputs of one forward pass through a network graph: the logits, per gate group the gate
 * values used ({@code [batch, n]} or {@code [n]}), the ops that update batch-norm moving
 * statistics (training passes only; run them with each step), for a sampled pass per gate group
 * the straight-through offset its gates add ({@code theta - stopGradient(theta)} for the
 * effective {@code theta * mask}, {@code [n]}: the loss's gradient with respect to it, times the
 * mask, is theta's), and, for a pass that gates the input
 * features themselves, what a trainer needs to form their theta's gradient.
 */
public record ForwardPass(Operand<TFloat32> logits, ImmutableMap<String, Operand<TFloat32>> gates,
    ImmutableList<Op> updates, ImmutableMap<String, Operand<TFloat32>> thetaOffsets,
    Optional<InputGateTap> inputGate) {

  public ForwardPass(Operand<TFloat32> logits, ImmutableMap<String, Operand<TFloat32>> gates,
      ImmutableList<Op> updates) {
    this(logits, gates, updates, ImmutableMap.of(), Optional.empty());
  }
}
