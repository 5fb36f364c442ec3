package org.tfprune.spec;

/** The element-wise nonlinearity applied after a layer's affine map. */
public enum Activation {
  /** max(0, x). */
  RELU,
  /** min(max(0, x), 6), as in MobileNet. */
  RELU6,
  /** 1 / (1 + exp(-x)). */
  SIGMOID,
  /** tanh(x). */
  TANH,
  /** No nonlinearity (used for the logits layer). */
  IDENTITY
}
