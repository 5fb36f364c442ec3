package org.tfprune.build;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import org.tensorflow.Operand;
import org.tensorflow.op.Op;
import org.tensorflow.types.TFloat32;

/**
 * The outputs of one forward pass through a network graph: the logits, per gate group the gate
 * values used ({@code [batch, n]} or {@code [n]}), and the ops that update batch-norm moving
 * statistics (training passes only; run them with each step).
 */
public record ForwardPass(Operand<TFloat32> logits, ImmutableMap<String, Operand<TFloat32>> gates,
    ImmutableList<Op> updates) {}
