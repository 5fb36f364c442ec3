package org.tfprune.build;

import com.google.common.collect.ImmutableMap;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;

/**
 * The outputs of one forward pass through a network graph: the logits and, per gate group, the
 * gate values used ({@code [batch, n]} or {@code [n]}).
 */
public record ForwardPass(Operand<TFloat32> logits, ImmutableMap<String, Operand<TFloat32>> gates) {}
