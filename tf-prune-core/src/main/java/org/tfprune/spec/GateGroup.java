package org.tfprune.spec;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

/**
 * A named vector of gates, one per structure, each with a learned keep probability
 * {@code theta}: the input features ({@code input}), the units or filters of a gated layer (named
 * after the layer), or the single gate of a residual block (named after the block).
 *
 * @param bypassable whether the network still works with every gate of the group closed (a
 *     residual branch or block); groups that nothing can bypass keep at least one structure
 */
public record GateGroup(String name, int size, Kind kind, boolean bypassable) {
  /** What the gates of a group switch. */
  public enum Kind {
    /** Input features, dense units or conv filters. */
    UNIT,
    /** Whole residual blocks. */
    BLOCK
  }

  public GateGroup {
    checkNotNull(kind, "kind");
    checkArgument(size > 0, "gate group %s must hold at least one gate, got %s", name, size);
  }

  /** A unit group that nothing can bypass. */
  public GateGroup(String name, int size) {
    this(name, size, Kind.UNIT, false);
  }
}
