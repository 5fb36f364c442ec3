package org.tfprune.spec;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * A named vector of gates: one gate per input feature ({@code input}) or per unit of a gated layer
 * (named after the layer). Each gate has a learned keep probability {@code theta}.
 */
public record GateGroup(String name, int size) {
  public GateGroup {
    checkArgument(size > 0, "gate group %s must hold at least one gate, got %s", name, size);
  }
}
