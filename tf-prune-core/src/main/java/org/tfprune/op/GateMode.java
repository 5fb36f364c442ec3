package org.tfprune.op;

/** How gates act in a forward pass. */
public enum GateMode {
  /** Training: {@code xi ~ Bernoulli(theta)} sampled afresh, straight-through gradient to theta. */
  SAMPLED,
  /** Evaluation: {@code xi = 1} iff {@code theta >= 0.5}; the deterministic network. */
  DETERMINISTIC,
  /** No gates at all: the dense baseline or the compact export graph. */
  NONE
}
