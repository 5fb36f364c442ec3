package org.tfprune.spec;

/** The element-wise nonlinearity applied after a layer's affine map. */
public enum Activation {
  /** max(0, x). */
  RELU,
  /** No nonlinearity (used for the logits layer). */
  IDENTITY
}
